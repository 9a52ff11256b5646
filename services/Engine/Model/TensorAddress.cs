using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>
/// The native address of a contiguous CPU tensor's first element, for the C# kernels that read weights
/// and the KV cache in place. Tensor memory is allocated by libtorch and never moved by the GC, so the
/// address stays valid for as long as the tensor (or the storage it views) is alive.
/// </summary>
internal static unsafe class TensorAddress
{
    public static T* Of<T>(Tensor tensor)
        where T : unmanaged
    {
        // Tensor.bytes throws for non-contiguous tensors and starts at the view's storage offset.
        var span = tensor.bytes;
        return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));
    }
}
