using static TorchSharp.torch;

namespace Platform.Engine.Lora.Training;

/// <summary>
/// One training sequence in flight in a co-served job. Each layer's input of each forward slice is a
/// detached leaf, so the backward pass can run one layer at a time: backpropagating a layer's outputs
/// (with the gradients from the layer above) fills its LoRA gradients and its inputs' gradients, which
/// are the next layer's output gradients. Later slices reach earlier ones through the kept keys and values.
/// </summary>
internal sealed class TrainingSequence : IDisposable
{
    public TrainingSequence(TrainingExample example, int batchTokens, int numLayers)
    {
        Example = example;
        BatchTokens = batchTokens;
        Inputs = [.. Enumerable.Range(0, numLayers).Select(_ => new List<Tensor>())];
        Outputs = [.. Enumerable.Range(0, numLayers).Select(_ => new List<Tensor>())];
        Keys = new Tensor?[numLayers];
        Values = new Tensor?[numLayers];
        NextBackwardLayer = numLayers - 1;
    }

    public TrainingExample Example { get; }
    /// <summary>Trained tokens of the whole batch: each sequence's loss is its token loss sum over this.</summary>
    public int BatchTokens { get; }
    public int Forwarded { get; set; }
    public bool ForwardDone => Forwarded == Example.TokenIds.Count;
    public List<Tensor>[] Inputs { get; }
    public List<Tensor>[] Outputs { get; }
    public Tensor?[] Keys { get; }
    public Tensor?[] Values { get; }
    /// <summary>Gradients of the loss with respect to the last layer's output, per forward slice, until the forward pass is complete.</summary>
    public List<Tensor> FinalGradients { get; } = [];
    /// <summary>Gradients of the loss with respect to <see cref="Outputs"/> of <see cref="NextBackwardLayer"/>, per slice.</summary>
    public List<Tensor>? OutputGradients { get; set; }
    public int NextBackwardLayer { get; set; }
    public bool BackwardDone => ForwardDone && OutputGradients is null && NextBackwardLayer < 0;
    public double Loss { get; set; }

    public void Dispose()
    {
        foreach (var list in Inputs.Concat(Outputs).Append(FinalGradients).Append(OutputGradients ?? []))
        {
            list.ForEach(t => t.Dispose());
            list.Clear();
        }
        foreach (var t in Keys.Concat(Values))
        {
            t?.Dispose();
        }
        Array.Clear(Keys);
        Array.Clear(Values);
    }
}
