namespace Platform.Tokenizers;

/// <summary>
/// What a single-sequence post-processor adds: ids before and after the encoded text. TemplateProcessing,
/// RobertaProcessing, BertProcessing, ByteLevel and Sequence all reduce to this for one sequence.
/// </summary>
internal sealed record SpecialTokenTemplate(int[] Prefix, int[] Suffix)
{
    public static SpecialTokenTemplate None { get; } = new([], []);

    /// <summary>Applies <paramref name="outer"/> around this template, as a Sequence post-processor does.</summary>
    public SpecialTokenTemplate Then(SpecialTokenTemplate outer) =>
        new([.. outer.Prefix, .. Prefix], [.. Suffix, .. outer.Suffix]);

    /// <summary>
    /// tokenizer_config.json's add_bos_token/add_eos_token win over tokenizer.json, as transformers'
    /// Llama tokenizers rebuild the template from them; an absent flag keeps what the template did.
    /// </summary>
    public SpecialTokenTemplate WithOverrides(bool? addBos, int? bosId, bool? addEos, int? eosId)
    {
        if (addBos is null && addEos is null)
        {
            return this;
        }

        var bos = addBos ?? (bosId is { } b && Prefix.Contains(b));
        var eos = addEos ?? (eosId is { } e && Suffix.Contains(e));
        return new(bos && bosId is { } bi ? [bi] : [], eos && eosId is { } ei ? [ei] : []);
    }
}
