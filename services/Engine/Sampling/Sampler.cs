using static TorchSharp.torch;

namespace Platform.Engine.Sampling;

/// <summary>
/// Picks the next token of each row of a logits batch. An all-greedy batch without logprobs takes the
/// argmax on the device; otherwise the logits come to the host once and each row is sampled in C# with
/// its request's own random stream, so a seed gives the same tokens on any device and batch.
/// Logprobs are of the model's distribution (before temperature, top-k and top-p).
/// </summary>
public static class Sampler
{
    public static SampledToken[] Sample(Tensor logits, IReadOnlyList<SamplingState> rows)
    {
        int n = rows.Count;
        if ((int)logits.shape[0] != n)
        {
            throw new ArgumentException($"{logits.shape[0]} logit rows for {n} requests");
        }
        if (rows.All(r => r.Parameters.IsGreedy && !r.Parameters.Logprobs))
        {
            using var argmax = logits.argmax(1).cpu();
            var ids = argmax.data<long>().ToArray();
            return [.. ids.Select(id => new SampledToken((int)id, null, []))];
        }
        int vocab = (int)logits.shape[1];
        using var host = logits.to(ScalarType.Float32).cpu().contiguous();
        var all = host.data<float>().ToArray();
        var result = new SampledToken[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = SampleRow(all.AsSpan(i * vocab, vocab), rows[i]);
        }
        return result;
    }

    public static SampledToken SampleRow(ReadOnlySpan<float> logits, SamplingState state)
    {
        var p = state.Parameters;
        int token = p.IsGreedy ? ArgMax(logits) : Draw(logits, p, state.Random);
        if (!p.Logprobs)
        {
            return new SampledToken(token, null, []);
        }
        double logZ = LogSumExp(logits);
        var topIds = TopIndices(logits, p.TopLogprobs);
        var top = new TokenLogprob[topIds.Length];
        for (int i = 0; i < top.Length; i++)
        {
            top[i] = new TokenLogprob(topIds[i], (float)(logits[topIds[i]] - logZ));
        }
        return new SampledToken(token, (float)(logits[token] - logZ), top);
    }

    private static int Draw(ReadOnlySpan<float> logits, SamplingParams p, Random random)
    {
        int[] candidates = p.TopK > 0 && p.TopK < logits.Length
            ? TopIndices(logits, p.TopK)
            : [.. Enumerable.Range(0, logits.Length)];
        double max = double.NegativeInfinity;
        foreach (int id in candidates)
        {
            max = Math.Max(max, logits[id]);
        }
        var weights = new double[candidates.Length];
        double total = 0;
        for (int i = 0; i < candidates.Length; i++)
        {
            weights[i] = Math.Exp((logits[candidates[i]] - max) / p.Temperature);
            total += weights[i];
        }
        int count = candidates.Length;
        if (p.TopP < 1)
        {
            // Keep the smallest set of most likely tokens whose mass reaches top_p (at least one).
            var byWeight = Enumerable.Range(0, count).OrderByDescending(i => weights[i]).ThenBy(i => candidates[i]).ToArray();
            candidates = [.. byWeight.Select(i => candidates[i])];
            weights = [.. byWeight.Select(i => weights[i])];
            double kept = 0;
            count = 0;
            while (count < weights.Length && (count == 0 || kept < p.TopP * total))
            {
                kept += weights[count++];
            }
            total = kept;
        }
        double u = random.NextDouble() * total;
        for (int i = 0; i < count; i++)
        {
            u -= weights[i];
            if (u < 0)
            {
                return candidates[i];
            }
        }
        return candidates[count - 1];
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }

    private static double LogSumExp(ReadOnlySpan<float> values)
    {
        double max = double.NegativeInfinity;
        foreach (var v in values)
        {
            max = Math.Max(max, v);
        }
        double sum = 0;
        foreach (var v in values)
        {
            sum += Math.Exp(v - max);
        }
        return max + Math.Log(sum);
    }

    /// <summary>Indices of the k largest values, largest first (ties: lower index first).</summary>
    private static int[] TopIndices(ReadOnlySpan<float> values, int k)
    {
        k = Math.Min(k, values.Length);
        if (k <= 0)
        {
            return [];
        }
        // A min-heap of the best k so far: O(V log k).
        var heap = new PriorityQueue<int, (float Value, int NegIndex)>(k + 1);
        for (int i = 0; i < values.Length; i++)
        {
            heap.Enqueue(i, (values[i], -i));
            if (heap.Count > k)
            {
                heap.Dequeue();
            }
        }
        var result = new int[heap.Count];
        for (int i = result.Length - 1; i >= 0; i--)
        {
            result[i] = heap.Dequeue();
        }
        return result;
    }
}
