namespace Platform.Tokenizers;

internal sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> stages) : IPreTokenizer
{
    public void PreTokenize(PreToken piece, List<PreToken> output)
    {
        List<PreToken> current = [piece];
        var next = new List<PreToken>();
        foreach (var stage in stages)
        {
            next.Clear();
            foreach (var p in current)
            {
                stage.PreTokenize(p, next);
            }

            (current, next) = (next, current);
        }

        output.AddRange(current);
    }
}
