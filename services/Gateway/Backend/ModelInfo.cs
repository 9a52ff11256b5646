using Platform.Tokenizers;

namespace Platform.Gateway.Backend;

/// <summary>What the Gateway needs to know about the served model to tokenize and validate requests.</summary>
/// <param name="Tokenizer">The model's tokenizer (with its chat template, if it ships one).</param>
/// <param name="MaxModelLength">Longest prompt plus completion a request may have.</param>
/// <param name="VocabSize">Prompt token ids must lie in [0, VocabSize).</param>
/// <param name="Created">When the model was loaded (<c>created</c> in <c>/v1/models</c>).</param>
public sealed record ModelInfo(Tokenizer Tokenizer, int MaxModelLength, int VocabSize, DateTimeOffset Created);
