namespace Platform.PhaseSplit.Hosting;

/// <summary>Which model the service's engine loads: <c>--model DIR</c> or <c>&lt;Service&gt;:ModelPath</c>.</summary>
public sealed class EngineHostOptions
{
    public string? ModelPath { get; set; }
}
