using Microsoft.Extensions.Options;

namespace Platform.Gateway.Routing;

/// <summary>Split mode needs at least one instance per pool, each named and reachable by address or app id.</summary>
internal sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        var failures = new List<string>();
        Check("Prefill", options.Prefill, failures);
        Check("Decode", options.Decode, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(string pool, InstancePoolOptions options, List<string> failures)
    {
        var key = $"Gateway:{pool}:Instances (Gateway__{pool}__Instances__0__Name, __Address or __AppId)";
        if (options.Instances.Count == 0)
        {
            failures.Add($"{key}: Split mode needs at least one {pool} instance");
            return;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < options.Instances.Count; i++)
        {
            var instance = options.Instances[i];
            var at = $"Gateway:{pool}:Instances:{i}";
            if (string.IsNullOrWhiteSpace(instance.Name) || !names.Add(instance.Name))
            {
                failures.Add($"{at}:Name must be set and unique within the pool, got '{instance.Name}'");
            }
            if (string.IsNullOrWhiteSpace(instance.AppId) && string.IsNullOrWhiteSpace(instance.Address))
            {
                failures.Add($"{at} needs an Address (e.g. http://127.0.0.1:5102) or an AppId (Dapr)");
            }
            if (!string.IsNullOrWhiteSpace(instance.Address) && !Uri.TryCreate(instance.Address, UriKind.Absolute, out _))
            {
                failures.Add($"{at}:Address must be an absolute URI such as http://127.0.0.1:5102, got '{instance.Address}'");
            }
        }
    }
}
