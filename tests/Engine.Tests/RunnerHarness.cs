using Platform.Engine.Configuration;
using Platform.Engine.Execution;
using Platform.Engine.KvCache;
using Platform.Engine.Loading;
using Platform.Engine.Model;
using static TorchSharp.torch;

namespace Platform.Engine.Tests;

/// <summary>A model runner with a trivial block allocator (sequence i owns a fixed run of blocks), for
/// testing the tensor side without the scheduler.</summary>
public sealed class RunnerHarness : IDisposable
{
    private int _nextBlock;

    public RunnerHarness(LlamaModel model, int numBlocks = 512, int blockSize = 16)
    {
        Model = model;
        Cache = new PagedKvCache(model.Config, numBlocks, blockSize, model.DType, model.Device);
        Runner = new ModelRunner(model, Cache);
    }

    public static RunnerHarness Stories(int numBlocks = 512, int blockSize = 16) =>
        new(ModelLoader.Load(TestModels.Stories260K!, new EngineOptions()), numBlocks, blockSize);

    public LlamaModel Model { get; }
    public PagedKvCache Cache { get; }
    public ModelRunner Runner { get; }

    public int[] AllocateBlocks(int tokens)
    {
        int n = (tokens + Cache.BlockSize - 1) / Cache.BlockSize;
        var blocks = Enumerable.Range(_nextBlock, n).ToArray();
        _nextBlock += n;
        return blocks;
    }

    /// <summary>Greedy generation of several sequences in one batch: prefill in chunks of at most
    /// <paramref name="chunkSize"/>, then one token per step for all sequences together.</summary>
    public List<int>[] GreedyBatch(IReadOnlyList<IReadOnlyList<int>> prompts, int newTokens, int chunkSize = int.MaxValue)
    {
        var tokens = prompts.Select(p => p.ToList()).ToArray();
        var blocks = prompts.Select(p => AllocateBlocks(p.Count + newTokens)).ToArray();
        var computed = new int[prompts.Count];
        var outputs = prompts.Select(_ => new List<int>()).ToArray();
        while (outputs.Any(o => o.Count < newTokens))
        {
            var chunks = new List<RunnerChunk>();
            var owners = new List<int>();
            for (int s = 0; s < tokens.Length; s++)
            {
                if (outputs[s].Count >= newTokens)
                {
                    continue;
                }
                int count = Math.Min(chunkSize, tokens[s].Count - computed[s]);
                bool sample = computed[s] + count == tokens[s].Count;
                chunks.Add(new RunnerChunk(tokens[s], computed[s], count, blocks[s], sample));
                owners.Add(s);
            }
            using var scope = NewDisposeScope();
            var logits = Runner.Execute(chunks);
            var argmax = logits?.argmax(1).data<long>().ToArray() ?? [];
            int row = 0;
            for (int c = 0; c < chunks.Count; c++)
            {
                int s = owners[c];
                computed[s] += chunks[c].Count;
                if (chunks[c].Sample)
                {
                    int next = (int)argmax[row++];
                    outputs[s].Add(next);
                    tokens[s].Add(next);
                }
            }
        }
        return outputs;
    }

    public void Dispose()
    {
        Cache.Dispose();
        Model.Dispose();
    }
}
