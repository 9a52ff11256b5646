using static TorchSharp.torch;

namespace Platform.Engine.Model;

/// <summary>Llama's RMSNorm, computed in float32 and cast back as Hugging Face does for half dtypes.</summary>
public static class RmsNorm
{
    public static Tensor Apply(Tensor x, Tensor weight, double eps)
    {
        if (x.dtype == ScalarType.Float32)
        {
            return x * (x.pow(2).mean([-1], keepdim: true) + eps).rsqrt() * weight;
        }
        var xf = x.to(ScalarType.Float32);
        var normed = xf * (xf.pow(2).mean([-1], keepdim: true) + eps).rsqrt();
        return weight * normed.to(x.dtype);
    }
}
