namespace Platform.Tokenizers;

/// <summary>
/// Applies merges to one word, always taking the lowest-ranked adjacent pair (leftmost on ties), via a
/// priority queue over a linked list of symbols: O(n log n) where rescanning would be O(n²).
/// </summary>
internal static class BpeWordMerger
{
    public static void MergeAll(List<int> symbols, Dictionary<long, (int Rank, int NewId)> merges)
    {
        var count = symbols.Count;
        if (count < 2)
        {
            return;
        }

        var ids = symbols.ToArray();
        var prev = new int[count];
        var next = new int[count];
        var alive = new bool[count];
        var queue = new PriorityQueue<(int Pos, int NewId), (int Rank, int Pos)>(count);
        for (var i = 0; i < count; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
            alive[i] = true;
            if (i + 1 < count && merges.TryGetValue(Key(ids[i], ids[i + 1]), out var m))
            {
                queue.Enqueue((i, m.NewId), (m.Rank, i));
            }
        }

        while (queue.TryDequeue(out var top, out _))
        {
            var left = top.Pos;
            var right = next[left];

            // Entries go stale when a neighbour merged first; the current pair must still produce this merge.
            if (!alive[left] || right < 0
                || !merges.TryGetValue(Key(ids[left], ids[right]), out var current) || current.NewId != top.NewId)
            {
                continue;
            }

            ids[left] = top.NewId;
            alive[right] = false;
            next[left] = next[right];
            if (next[right] >= 0)
            {
                prev[next[right]] = left;
            }

            if (prev[left] >= 0 && merges.TryGetValue(Key(ids[prev[left]], ids[left]), out var before))
            {
                queue.Enqueue((prev[left], before.NewId), (before.Rank, prev[left]));
            }

            if (next[left] >= 0 && merges.TryGetValue(Key(ids[left], ids[next[left]]), out var after))
            {
                queue.Enqueue((left, after.NewId), (after.Rank, left));
            }
        }

        symbols.Clear();
        for (var i = 0; i >= 0; i = next[i])
        {
            symbols.Add(ids[i]);
        }
    }

    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
