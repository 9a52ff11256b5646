namespace Platform.Gateway.Bus;

/// <summary>How a Split-mode Gateway hands a request to the prefill pool (<c>Gateway:Dispatch</c>).</summary>
public enum DispatchMode
{
    /// <summary>A Prefill gRPC call to the instance the router chose.</summary>
    Direct,

    /// <summary>Through the request bus (<c>Bus:Kind</c>): any prefill worker takes it, at its own pace.</summary>
    Bus,
}
