using System.Globalization;
using Platform.Engine.Blending;
using Platform.Engine.Configuration;
using Platform.Engine.Loading;
using Platform.Engine.Model;
using Platform.Engine.Sampling;
using Platform.Engine.Serving;
using Platform.TestSupport;
using static TorchSharp.torch;

namespace Platform.Benchmarks;

/// <summary>
/// CacheBlend's quality against a full prefill on RAG-shaped prompts (<c>[BOS] + system + 4-8 chunks +
/// question</c>, chunks in a fresh order per prompt): KL(full || method) of the next-token distribution at
/// the first generated position and over a teacher-forced greedy continuation, top-1 agreement with the full
/// prefill's greedy tokens, and the length of the identical greedy continuation. Methods: prefix caching
/// (exact by construction: it reuses only the KV of an identical prefix), blends at r in {0, 0.05, 0.15, 0.3, 1}
/// (r = 0 is full KV reuse without recompute).
/// </summary>
public static class BlendQualityBenchmark
{
    private static readonly double[] Ratios = [0, 0.05, 0.15, 0.3, 1.0];
    private const int Continuation = 16;

    public static void Run(TextWriter output, bool quick)
    {
        output.WriteLine("## Quality against full prefill (mean over prompts)");
        output.WriteLine();
        if (TestModels.Stories260K is { } stories)
        {
            using var engine = LlmEngine.Load(stories, new EngineOptions { KvCacheBytes = 16L << 20 });
            var tok = engine.Tokenizer!;
            // In-distribution chunks: stories the model itself writes from different seeds.
            var pool = Enumerable.Range(0, 12).Select(i => Sample(engine, tok.Encode(Starters[i % Starters.Length], addSpecialTokens: false), 40, i)).ToArray();
            var system = tok.Encode("Once upon a time", addSpecialTokens: false);
            var questions = Questions.Select(q => tok.Encode(q, addSpecialTokens: false)).ToArray();
            Score(output, "stories260K", engine.Model, pool, system, questions, engine.Model.Config.BosTokenId ?? 1, quick ? 6 : 16);
        }
        else
        {
            output.WriteLine("stories260K: skipped (no checkpoint at ../shared/models/stories260K/hf)");
        }

        var dummyConfig = new ModelConfig
        {
            Architectures = ["LlamaForCausalLM"], HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 6,
            NumAttentionHeads = 8, NumKeyValueHeadsField = 4, VocabSize = 2048, MaxPositionEmbeddings = 2048, RmsNormEps = 1e-5,
        };
        using var dummy = ModelLoader.CreateDummy(dummyConfig, new EngineOptions { DummySeed = 7 });
        var rng = new Random(3);
        var dummyPool = Enumerable.Range(0, 12).Select(_ => Enumerable.Range(0, 64).Select(_ => rng.Next(3, 2048)).ToArray()).ToArray();
        var dummyQuestions = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 12).Select(_ => rng.Next(3, 2048)).ToArray()).ToArray();
        Score(output, "dummy (256 hidden, 6 layers, random weights)", dummy, dummyPool, [.. Enumerable.Range(0, 16).Select(i => 10 + i)], dummyQuestions, 1, quick ? 4 : 10);
    }

    private static readonly string[] Starters = ["Tom", "Lily", "The dog", "One day", "Sam", "The little bird", "Mom", "The sun"];
    private static readonly string[] Questions = [" Then Lily said,", " The next day, Tom", " After that, they", " In the end, the"];

    private static int[] Sample(LlmEngine engine, int[] start, int tokens, int seed)
    {
        int[] prompt = [engine.Model.Config.BosTokenId ?? 1, .. start];
        var sampling = new SamplingParams { Temperature = 1.0, Seed = seed, MaxTokens = tokens - start.Length, IgnoreEos = true };
        var stream = engine.AddRequest(new GenerationRequest($"chunk-{seed}", prompt, sampling));
        while (engine.HasUnfinishedRequests)
        {
            engine.Step();
        }
        var result = stream.CollectAsync().GetAwaiter().GetResult();
        return [.. start, .. result.TokenIds];
    }

    private sealed class Tally
    {
        public double FirstKl, ContinuationKl, Top1, Prefix, Identical;
    }

    private static void Score(TextWriter output, string name, LlamaModel model, int[][] pool, int[] system, int[][] questions, int bos, int prompts)
    {
        using var runner = new BlendRunner(model, 1024);
        var rng = new Random(11);
        var methods = new[] { "prefix caching" }.Concat(Ratios.Select(r => $"blend r = {r.ToString(CultureInfo.InvariantCulture)}")).ToArray();
        var tallies = methods.ToDictionary(m => m, _ => new Tally());
        int totalTokens = 0;
        for (int p = 0; p < prompts; p++)
        {
            runner.Reset();
            var picked = pool.OrderBy(_ => rng.Next()).Take(4 + (p % 5)).ToArray();
            var kvs = picked.Select(c => runner.ChunkKv(bos, c)).ToArray();
            var question = questions[p % questions.Length];
            var segments = new List<PromptSegment> { new(0, 1 + system.Length) };
            var prompt = new List<int> { bos };
            prompt.AddRange(system);
            for (int i = 0; i < picked.Length; i++)
            {
                segments.Add(new PromptSegment(prompt.Count, picked[i].Length, kvs[i]));
                prompt.AddRange(picked[i]);
            }
            segments.Add(new PromptSegment(prompt.Count, question.Length));
            prompt.AddRange(question);
            int[] tokens = [.. prompt];
            totalTokens += tokens.Length;
            using var scope = NewDisposeScope();

            // The reference: full prefill, its greedy continuation and its distributions along it.
            var blocks = runner.Allocate(tokens.Length + Continuation);
            var first = runner.Full(tokens, blocks);
            var greedy = new List<int> { (int)first.argmax().item<long>() };
            var reference = new List<Tensor> { first };
            for (int i = 0; i < Continuation - 1; i++)
            {
                var next = runner.TeacherForced([.. tokens, .. greedy.Take(i)], [greedy[i], 0], blocks)[0];
                reference.Add(next);
                greedy.Add((int)next.argmax().item<long>());
            }

            foreach (var method in methods)
            {
                var mb = runner.Allocate(tokens.Length + Continuation);
                Tensor head = method == "prefix caching"
                    ? runner.Prefix(tokens, 1 + system.Length, mb)
                    : runner.Blend(tokens, new BlendSpec(segments) { RecomputeRatio = double.Parse(method["blend r = ".Length..], CultureInfo.InvariantCulture), MinCachedTokens = 0 }, mb);
                var dists = new List<Tensor> { head };
                dists.AddRange(runner.TeacherForced(tokens, [.. greedy], mb));
                var t = tallies[method];
                t.FirstKl += Kl(reference[0], head);
                double kl = 0;
                int agree = 0, prefix = -1;
                for (int i = 0; i < Continuation; i++)
                {
                    kl += Kl(reference[i], dists[i]);
                    bool same = dists[i].argmax().item<long>() == greedy[i];
                    agree += same ? 1 : 0;
                    if (!same && prefix < 0)
                    {
                        prefix = i;
                    }
                }
                prefix = prefix < 0 ? Continuation : prefix;
                t.ContinuationKl += kl / Continuation;
                t.Top1 += (double)agree / Continuation;
                t.Prefix += prefix;
                t.Identical += prefix == Continuation ? 1 : 0;
            }
            foreach (var kv in kvs)
            {
                kv.Dispose();
            }
        }
        output.WriteLine($"{name}: {prompts} prompts of 4-8 chunks, {totalTokens / prompts} tokens on average, {Continuation}-token greedy continuation");
        output.WriteLine();
        output.WriteLine("| method | KL first token | KL over continuation | top-1 agreement | identical greedy prefix | identical continuations |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var method in methods)
        {
            var t = tallies[method];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {method} | {t.FirstKl / prompts:F5} | {t.ContinuationKl / prompts:F5} | {100 * t.Top1 / prompts:F1} % | {t.Prefix / prompts:F1} of {Continuation} | {100 * t.Identical / prompts:F0} % |"));
        }
        output.WriteLine();
    }

    /// <summary>KL(p || q) of two log-probability vectors.</summary>
    private static double Kl(Tensor logP, Tensor logQ) => (logP.exp() * (logP - logQ)).sum().item<double>();
}
