namespace Platform.KvStore.Tests;

/// <summary>RAG-shaped inputs for stories260K: short chunks (its context is 512 tokens) and a question.</summary>
public static class RagTexts
{
    public static readonly string[] Chunks =
    [
        "Lily had a red ball. She liked to throw it high in the park with her dog Max.",
        "One day the ball went over the fence and into the garden of an old man named Tom.",
        "Tom was kind. He gave the ball back to Lily and they all played together until the sun went down.",
    ];

    public const string Question = " What did Lily do with the ball?";
}
