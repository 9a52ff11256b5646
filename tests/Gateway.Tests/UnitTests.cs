using Platform.Gateway.Configuration;
using Platform.Gateway.Errors;
using Platform.Gateway.Generation;

namespace Platform.Gateway.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void ModelAndPortBecomeConfigurationKeys()
    {
        Assert.Equal(
            ["--Gateway:ModelPath", "/m", "--urls", "http://0.0.0.0:8000", "--Engine:Device", "cuda"],
            GatewayCommandLine.Expand(["--model", "/m", "--port=8000", "--Engine:Device", "cuda"]));
    }

    [Fact]
    public void ServedModelNameDefaultsToTheDirectoryName()
    {
        Assert.Equal("hf", new GatewayOptions { ModelPath = "/models/stories260K/hf/" }.ResolveServedModelName());
        Assert.Equal("x", new GatewayOptions { ModelPath = "/a", ServedModelName = "x" }.ResolveServedModelName());
    }

    [Fact]
    public void MissingModelPathNamesTheKeyAndEnvironmentVariable()
    {
        var result = new LocalModelOptionsValidator().Validate(null, new GatewayOptions());
        Assert.True(result.Failed);
        Assert.Contains("Gateway:ModelPath", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Gateway__ModelPath", result.FailureMessage, StringComparison.Ordinal);
    }
}

public sealed class ContextLengthTests
{
    [Theory]
    [InlineData(null, 10, 100, 90)]
    [InlineData(5, 10, 100, 5)]
    [InlineData(90, 10, 100, 90)]
    public void MaxTokensFillsOrFitsTheContext(int? requested, int prompt, int max, int expected) =>
        Assert.Equal(expected, ContextLength.ResolveMaxTokens(requested, prompt, max, "messages", "max_tokens"));

    [Theory]
    [InlineData(91, 10)]
    [InlineData(null, 100)]
    public void OverTheContextIsRefusedWithOpenAisCode(int? requested, int prompt)
    {
        var e = Assert.Throws<ApiException>(() => ContextLength.ResolveMaxTokens(requested, prompt, 100, "messages", "max_tokens"));
        Assert.Equal(400, e.StatusCode);
        Assert.Equal("context_length_exceeded", e.Code);
        Assert.Equal("messages", e.Param);
    }
}
