using Platform.Engine.Loading;
using Platform.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Platform.Engine.Lora.Training;

/// <summary>
/// Plain (standalone) LoRA training on a frozen model: forward and backward of whole sequences, gradients
/// for A and B only, AdamW. The loss of a batch is the mean over its trained tokens.
/// </summary>
public sealed class LoraTrainer : IDisposable
{
    private readonly optim.Optimizer _optimizer;

    public LoraTrainer(LlamaModel model, LoraTrainingOptions options)
    {
        if (model.DType != ScalarType.Float32)
        {
            throw new NotSupportedException($"LoRA training runs on float32 models; this one is {model.DType}");
        }
        Model = model;
        Options = options;
        Lora = new TrainableLora(model.Config, options.AdapterConfig(), options.Seed, model.Device);
        _optimizer = optim.AdamW(Lora.Parameters, lr: options.LearningRate, weight_decay: options.WeightDecay);
    }

    public LlamaModel Model { get; }
    public LoraTrainingOptions Options { get; }
    public TrainableLora Lora { get; }
    public long OptimizerSteps { get; private set; }

    /// <summary>Zeroes the gradients, then accumulates those of the batch's mean token loss; returns that loss.</summary>
    public double ComputeGradients(IReadOnlyList<TrainingExample> batch)
    {
        ZeroGradients();
        int total = batch.Sum(e => e.TrainedTokens);
        double loss = 0;
        foreach (var example in batch)
        {
            example.Validate(Model.Config.VocabSize, Model.Rope.MaxPositions);
            using var scope = NewDisposeScope();
            var ids = tensor(example.TokenIds.Select(t => (long)t).ToArray(), device: Model.Device);
            var x = Model.Embed(ids);
            var angles = Model.Rope.Lookup(arange(example.TokenIds.Count, device: Model.Device));
            foreach (var layer in Model.Layers)
            {
                x = LoraTrainingForward.Layer(layer, Model.Config, Lora, x, angles, 0, null, null).Output;
            }
            var sum = LoraTrainingForward.TokenLossSum(LoraTrainingForward.Logits(Model, x), example.TokenIds, Math.Max(example.PromptLength, 1));
            var scaled = sum / total;
            scaled.backward();
            loss += scaled.item<float>();
        }
        return loss;
    }

    /// <summary>One AdamW update of A and B from the accumulated gradients.</summary>
    public void OptimizerStep()
    {
        using var scope = NewDisposeScope();
        _optimizer.step();
        OptimizerSteps++;
    }

    /// <summary>Gradients of the batch, then an optimizer step; returns the batch's loss before the step.</summary>
    public double TrainStep(IReadOnlyList<TrainingExample> batch)
    {
        double loss = ComputeGradients(batch);
        OptimizerStep();
        return loss;
    }

    public void ZeroGradients() => _optimizer.zero_grad();

    /// <summary>
    /// Writes what resuming needs to <paramref name="directory"/>: the A and B weights (<c>lora.safetensors</c>,
    /// PEFT names, float32), AdamW's moments and step counts (<c>optimizer.bin</c>) and the optimizer step (<c>step.txt</c>).
    /// Files are written next to their final names and moved into place, so a crash leaves the previous checkpoint.
    /// </summary>
    public void SaveCheckpoint(string directory)
    {
        Directory.CreateDirectory(directory);
        string weights = Path.Combine(directory, "lora.safetensors"), optimizer = Path.Combine(directory, "optimizer.bin"), step = Path.Combine(directory, "step.txt");
        var tensors = Lora.NamedParameters.Select(p => (p.Name, (Tensor)p.Parameter.detach().cpu())).ToList();
        SafetensorsWriter.Write(weights + ".tmp", tensors);
        tensors.ForEach(t => t.Item2.Dispose());
        ((TorchSharp.Modules.OptimizerHelper)_optimizer).save_state_dict(optimizer + ".tmp");
        File.WriteAllText(step + ".tmp", OptimizerSteps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(weights + ".tmp", weights, overwrite: true);
        File.Move(optimizer + ".tmp", optimizer, overwrite: true);
        File.Move(step + ".tmp", step, overwrite: true);
    }

    /// <summary>Restores a <see cref="SaveCheckpoint"/> of a trainer with the same options; returns its optimizer step.</summary>
    public long LoadCheckpoint(string directory)
    {
        var file = SafetensorsFile.Open(Path.Combine(directory, "lora.safetensors"));
        using (no_grad())
        {
            foreach (var (name, parameter) in Lora.NamedParameters)
            {
                using var saved = file.Read(name);
                parameter.copy_(saved.to(parameter.dtype, parameter.device));
            }
        }
        ((TorchSharp.Modules.OptimizerHelper)_optimizer).load_state_dict(Path.Combine(directory, "optimizer.bin"));
        OptimizerSteps = long.Parse(File.ReadAllText(Path.Combine(directory, "step.txt")), System.Globalization.CultureInfo.InvariantCulture);
        return OptimizerSteps;
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Lora.Dispose();
    }
}
