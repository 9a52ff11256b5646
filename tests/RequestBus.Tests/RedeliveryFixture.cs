namespace Platform.RequestBus.Tests;

/// <summary>Two prefill workers on one bus, so one can die holding a request and the other finishes it.</summary>
public sealed class RedeliveryFixture() : IAsyncLifetime
{
    public BusProcesses Processes { get; } = new(2, [], []);

    public Task InitializeAsync() => Processes.InitializeAsync();

    public Task DisposeAsync() => Processes.DisposeAsync();
}
