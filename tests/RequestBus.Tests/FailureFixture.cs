namespace Platform.RequestBus.Tests;

/// <summary>
/// One prefill worker whose engine takes prompts of at most 24 tokens (the Gateway allows 512: a longer prompt
/// fails on every delivery, a poison message), a Gateway with a 4 s deadline and a lag limit of 2.
/// </summary>
public sealed class FailureFixture : IAsyncLifetime
{
    public BusProcesses Processes { get; } = new(1, ["--Engine:MaxModelLength", "24"], new()
    {
        ["Gateway:Bus:Deadline"] = "00:00:04",
        ["Gateway:Bus:MaxLag"] = "2",
    });

    public Task InitializeAsync() => Processes.InitializeAsync();

    public Task DisposeAsync() => Processes.DisposeAsync();
}
