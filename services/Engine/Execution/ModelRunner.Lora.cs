using Platform.Engine.Lora;

namespace Platform.Engine.Execution;

public sealed partial class ModelRunner
{
    /// <summary>Each batch row's adapter, in the runner's row order; null when no chunk has one.</summary>
    private LoraBatch? BuildLoraBatch(IReadOnlyList<RunnerChunk> chunks, int[] order, int totalTokens)
    {
        if (chunks.All(c => c.Adapter is null))
        {
            return null;
        }
        var adapterOfRow = new LoraAdapter?[totalTokens];
        int row = 0;
        foreach (int i in order)
        {
            var c = chunks[i];
            Array.Fill(adapterOfRow, c.Adapter, row, c.Count);
            row += c.Count;
        }
        return LoraBatch.Build(adapterOfRow, Model.Device);
    }
}
