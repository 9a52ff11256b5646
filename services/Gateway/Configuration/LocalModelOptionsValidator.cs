using Microsoft.Extensions.Options;

namespace Platform.Gateway.Configuration;

/// <summary>The all-in-one backend needs a model directory; the message says how to give one.</summary>
internal sealed class LocalModelOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        const string Key = "Gateway:ModelPath (environment variable Gateway__ModelPath, or --model DIR)";
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            return ValidateOptionsResult.Fail($"{Key} is required: the Hugging Face model directory to serve");
        }
        if (!File.Exists(Path.Combine(options.ModelPath, "config.json")))
        {
            return ValidateOptionsResult.Fail($"{Key} = '{options.ModelPath}' is not a Hugging Face model directory (no config.json there)");
        }
        return ValidateOptionsResult.Success;
    }
}
