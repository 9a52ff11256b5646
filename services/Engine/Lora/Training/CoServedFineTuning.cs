using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Engine.Lora.Training;

/// <summary>
/// A LoRA fine-tuning job run inside the engine's serving iterations (FlexLLM): each iteration gives it
/// what the inference batch left of the token budget, as at most F forward tokens of a training sequence,
/// then a backward slice of k layers of a sequence whose forward pass is complete. Gradients accumulate
/// over a batch; an AdamW step follows each batch. The gradients are those of <see cref="LoraTrainer"/>'s
/// standalone step on the same batch. Driven by one thread (the engine's step loop).
/// </summary>
public sealed class CoServedFineTuning : IDisposable
{
    private readonly IReadOnlyList<IReadOnlyList<TrainingExample>> _batches;
    private readonly int _epochs;
    private int _epoch, _batch, _nextInBatch, _finishedInBatch;
    private double _batchLoss;
    private TrainingSequence? _forwarding, _backwarding;
    private volatile bool _cancelRequested;

    public CoServedFineTuning(LoraTrainer trainer, IReadOnlyList<TrainingExample> examples, int epochs = 1, int batchSize = 4, long startStep = 0)
    {
        if (examples.Count == 0 || epochs < 1 || batchSize < 1)
        {
            throw new ArgumentException($"a fine-tuning job needs examples ({examples.Count}), epochs >= 1 ({epochs}) and batch size >= 1 ({batchSize})");
        }
        foreach (var e in examples)
        {
            e.Validate(trainer.Model.Config.VocabSize, trainer.Model.Rope.MaxPositions);
        }
        Trainer = trainer;
        _batches = [.. examples.Chunk(batchSize)];
        _epochs = epochs;
        TotalSteps = (long)_batches.Count * epochs;
        if (startStep < 0 || startStep > TotalSteps)
        {
            throw new ArgumentException($"start step {startStep} is outside the job's {TotalSteps} steps");
        }
        // Resuming from a checkpoint: the batches before it are done (same order: epochs replay the same batches).
        _epoch = (int)(startStep / _batches.Count);
        _batch = (int)(startStep % _batches.Count);
        Completed = startStep == TotalSteps;
    }

    public LoraTrainer Trainer { get; }
    public long TotalSteps { get; }
    public long TokensTrained { get; private set; }
    public long ForwardTokensRun { get; private set; }
    public long BackwardLayersRun { get; private set; }
    public bool Completed { get; private set; }
    public bool Cancelled { get; private set; }
    public bool IsDone => Completed || Cancelled;

    /// <summary>Called after each optimizer step (on the engine thread).</summary>
    public Action<FineTuningProgress>? StepCompleted { get; init; }

    /// <summary>Called with the batch's accumulated gradients in place, just before the optimizer step (tests compare them).</summary>
    public Action<TrainableLora>? GradientsReady { get; init; }

    /// <summary>Why the job stopped early (an exception in a slice), or null.</summary>
    public string? Error { get; private set; }

    internal void Fail(string error)
    {
        Error = error;
        Cancelled = true;
        DisposeInFlight();
    }

    /// <summary>Stops the job at its next slice; gradients of an unfinished batch are dropped.</summary>
    public void Cancel() => _cancelRequested = true;

    /// <summary>Runs up to <paramref name="maxTokens"/> forward tokens of one training sequence; returns how many ran.</summary>
    public int RunForward(int maxTokens)
    {
        if (!CheckActive() || maxTokens <= 0)
        {
            return 0;
        }
        if (_forwarding is null && !TryStartSequence())
        {
            return 0;
        }
        var seq = _forwarding!;
        if (seq.ForwardDone)
        {
            // Waiting for the sequence ahead of it to finish its backward pass.
            return 0;
        }
        var model = Trainer.Model;
        int start = seq.Forwarded;
        int count = Math.Min(maxTokens, seq.Example.TokenIds.Count - start);
        using (var scope = NewDisposeScope())
        {
            var ids = tensor(seq.Example.TokenIds.Skip(start).Take(count).Select(t => (long)t).ToArray(), device: model.Device);
            var x = model.Embed(ids);
            var angles = model.Rope.Lookup(arange(start, start + count, device: model.Device));
            for (int i = 0; i < model.Layers.Count; i++)
            {
                // Layer 0's input is the frozen embedding: no gradient needed there.
                var leaf = x.detach().requires_grad_(i > 0).DetachFromDisposeScope();
                seq.Inputs[i].Add(leaf);
                var result = LoraTrainingForward.Layer(model.Layers[i], model.Config, Trainer.Lora, leaf, angles, start, seq.Keys[i], seq.Values[i]);
                seq.Keys[i]?.Dispose();
                seq.Values[i]?.Dispose();
                seq.Keys[i] = result.Keys.DetachFromDisposeScope();
                seq.Values[i] = result.Values.DetachFromDisposeScope();
                seq.Outputs[i].Add(result.Output.DetachFromDisposeScope());
                x = result.Output;
            }
            // The LM head and loss of this slice's own positions run with it, so no iteration carries the whole
            // sequence's head at once; each position's loss depends on its own hidden state only.
            var final = x.detach().requires_grad_(true);
            if (LoraTrainingForward.SliceLossSum(model, final, seq.Example.TokenIds, Math.Max(seq.Example.PromptLength, 1), start) is { } sum)
            {
                var loss = sum / seq.BatchTokens;
                loss.backward();
                seq.Loss += loss.item<float>();
                seq.FinalGradients.Add(final.grad!.detach().DetachFromDisposeScope());
            }
            else
            {
                seq.FinalGradients.Add(zeros_like(final).DetachFromDisposeScope());
            }
        }
        seq.Forwarded += count;
        ForwardTokensRun += count;
        if (seq.ForwardDone)
        {
            FinishForward(seq);
        }
        return count;
    }

    /// <summary>Runs up to <paramref name="maxLayers"/> layers of backward pass; returns how many ran.</summary>
    public int RunBackward(int maxLayers)
    {
        if (!CheckActive())
        {
            return 0;
        }
        if (_backwarding is null && _forwarding is { ForwardDone: true })
        {
            (_backwarding, _forwarding) = (_forwarding, null);
        }
        if (_backwarding is not { } seq)
        {
            return 0;
        }
        int ran = 0;
        while (ran < maxLayers && seq.NextBackwardLayer >= 0)
        {
            int i = seq.NextBackwardLayer;
            using (var scope = NewDisposeScope())
            {
                autograd.backward(seq.Outputs[i], seq.OutputGradients!);
                var next = i > 0 ? seq.Inputs[i].Select(leaf => leaf.grad!.detach().DetachFromDisposeScope()).ToList() : null;
                foreach (var t in seq.Outputs[i].Concat(seq.Inputs[i]).Concat(seq.OutputGradients!))
                {
                    t.Dispose();
                }
                seq.Outputs[i].Clear();
                seq.Inputs[i].Clear();
                seq.Keys[i]?.Dispose();
                seq.Values[i]?.Dispose();
                seq.Keys[i] = seq.Values[i] = null;
                seq.OutputGradients = next;
            }
            seq.NextBackwardLayer--;
            ran++;
        }
        BackwardLayersRun += ran;
        if (seq.NextBackwardLayer < 0)
        {
            FinishSequence(seq);
        }
        return ran;
    }

    private bool TryStartSequence()
    {
        var batch = _batches[_batch];
        if (_nextInBatch >= batch.Count)
        {
            // The rest of this batch is in backward; the next batch waits for the optimizer step.
            return false;
        }
        if (_nextInBatch == 0)
        {
            Trainer.ZeroGradients();
            _batchLoss = 0;
        }
        _forwarding = new TrainingSequence(batch[_nextInBatch++], batch.Sum(e => e.TrainedTokens), Trainer.Model.Layers.Count);
        return true;
    }

    private void FinishForward(TrainingSequence seq)
    {
        seq.OutputGradients = [.. seq.FinalGradients];
        seq.FinalGradients.Clear();
        if (_backwarding is null)
        {
            (_backwarding, _forwarding) = (seq, null);
        }
    }

    private void FinishSequence(TrainingSequence seq)
    {
        _batchLoss += seq.Loss;
        TokensTrained += seq.Example.TrainedTokens;
        seq.Dispose();
        _backwarding = null;
        if (_forwarding is { ForwardDone: true })
        {
            (_backwarding, _forwarding) = (_forwarding, null);
        }
        if (++_finishedInBatch < _batches[_batch].Count)
        {
            return;
        }
        GradientsReady?.Invoke(Trainer.Lora);
        Trainer.OptimizerStep();
        StepCompleted?.Invoke(new FineTuningProgress(Trainer.OptimizerSteps, TotalSteps, _batchLoss, TokensTrained, _epoch));
        _finishedInBatch = _nextInBatch = 0;
        if (++_batch == _batches.Count)
        {
            _batch = 0;
            if (++_epoch == _epochs)
            {
                Completed = true;
            }
        }
    }

    private bool CheckActive()
    {
        if (_cancelRequested && !IsDone)
        {
            Cancelled = true;
            DisposeInFlight();
        }
        return !IsDone;
    }

    private void DisposeInFlight()
    {
        _forwarding?.Dispose();
        _backwarding?.Dispose();
        _forwarding = _backwarding = null;
    }

    public void Dispose() => DisposeInFlight();
}
