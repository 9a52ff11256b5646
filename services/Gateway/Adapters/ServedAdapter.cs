namespace Platform.Gateway.Adapters;

/// <summary>An adapter the Gateway serves: the name clients pass as <c>model</c>, its owner, and its name in the engine.</summary>
public sealed record ServedAdapter(string Name, string? Tenant, string Path, string EngineName, DateTimeOffset Created);
