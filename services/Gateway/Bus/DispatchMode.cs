namespace Platform.Gateway.Bus;

/// <summary>How the Gateway hands a request to what computes it (<c>Gateway:Dispatch</c>).</summary>
public enum DispatchMode
{
    /// <summary>A Prefill gRPC call to the instance the router chose (all-in-one: the engine in this process).</summary>
    Direct,

    /// <summary>Through the request bus (<c>Bus:Kind</c>): any prefill worker takes it, at its own pace (all-in-one: the in-process bus).</summary>
    Bus,
}
