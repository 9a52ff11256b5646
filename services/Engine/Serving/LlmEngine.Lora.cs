using Platform.Engine.Lora;

namespace Platform.Engine.Serving;

public sealed partial class LlmEngine
{
    /// <summary>The LoRA adapters resident in this engine; requests name one in <see cref="GenerationRequest.Adapter"/>.</summary>
    public LoraRegistry Adapters { get; }

    /// <summary>
    /// The request's prefix-cache salt with its adapter folded in: KV computed under an adapter is only ever
    /// reused by requests under the same adapter weights.
    /// </summary>
    public static ulong SaltOf(ulong requestSalt, ulong adapterKey) =>
        adapterKey == 0 ? requestSalt : Mix(requestSalt ^ Mix(adapterKey));

    private static ulong SaltOf(GenerationRequest request, LoraAdapter? adapter) => SaltOf(request.CacheSalt, adapter?.CacheKey ?? 0);

    private LoraAdapter? AcquireAdapter(GenerationRequest request)
    {
        if (request.Adapter is null)
        {
            return null;
        }
        try
        {
            return request.AdapterPath is { } path ? Adapters.AcquireOrLoad(request.Adapter, path) : Adapters.Acquire(request.Adapter);
        }
        catch (LoraAdapterException e)
        {
            throw new ArgumentException(e.Message, "model", e);
        }
    }

    private void ReleaseAdapter(ActiveRequest active)
    {
        if (active.Adapter is { } adapter && !active.AdapterReleased)
        {
            active.AdapterReleased = true;
            Adapters.Release(adapter);
        }
    }

    /// <summary>splitmix64's finalizer: a cheap, well-spread 64-bit mix.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
