using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Platform.Engine.Model;

/// <summary>
/// y = x Wᵀ + b. Float32 CPU products with up to <see cref="SkinnyGemm.MaxRows"/> rows (decode batches)
/// go to <see cref="SkinnyGemm"/>, which beat torch's linear on every shape of the benchmark model.
/// Otherwise on the CPU, torch computes a single-row product as a GEMV on one thread, reaching about a
/// third of the machine's memory bandwidth; splitting W's output rows across the cores reads the
/// weights in parallel. Everything else goes to torch's linear as is.
/// </summary>
public static class Projection
{
    private const long MinRowsToSplit = 1024;
    private const int MaxParts = 8;

    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias = null)
    {
        int parts = Math.Min(KernelThreads.Count, MaxParts);
        if (x.dim() == 2 && x.shape[0] <= SkinnyGemm.MaxRows && SkinnyGemm.CanApply(x, weight, bias))
        {
            return SkinnyGemm.Apply(x, weight, bias);
        }
        if (parts < 2 || x.shape[0] != 1 || x.device_type != TorchSharp.DeviceType.CPU || weight.shape[0] < MinRowsToSplit)
        {
            return linear(x, weight, bias);
        }
        long rows = weight.shape[0];
        long per = (rows + parts - 1) / parts;
        var outputs = new Tensor[parts];
        KernelThreads.For(parts, part =>
        {
            long start = part * per;
            long count = Math.Min(per, rows - start);
            // Tensors made on a kernel thread belong to no scope; this one collects the temporaries.
            using var scope = NewDisposeScope();
            outputs[part] = linear(x, weight.narrow(0, start, count), bias?.narrow(0, start, count)).DetachFromDisposeScope();
        });
        var result = cat(outputs, 1);
        foreach (var o in outputs)
        {
            o.Dispose();
        }
        return result;
    }
}
