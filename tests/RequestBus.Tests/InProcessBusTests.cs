using Platform.RequestBus.InProcess;

namespace Platform.RequestBus.Tests;

public sealed class InProcessBusTests : BusContractTests
{
    protected override Task<IRequestBus> CreateBusAsync(BusOptions options) =>
        Task.FromResult<IRequestBus>(new InProcessRequestBus(options, TimeProvider.System));
}
