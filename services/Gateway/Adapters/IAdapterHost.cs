namespace Platform.Gateway.Adapters;

/// <summary>Where adapters are loaded: the in-process engine, or every Prefill and Decode instance in Split mode.</summary>
public interface IAdapterHost
{
    /// <summary>Loads the PEFT adapter at <paramref name="path"/> under <paramref name="engineName"/>; throws <see cref="Engine.Lora.LoraAdapterException"/> naming the problem.</summary>
    Task LoadAdapterAsync(string engineName, string path, CancellationToken cancellationToken);

    /// <summary>Unloads it; running requests under it finish first.</summary>
    Task UnloadAdapterAsync(string engineName, CancellationToken cancellationToken);
}
