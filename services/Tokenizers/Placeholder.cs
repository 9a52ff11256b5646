namespace Platform.Tokenizers; internal static class Placeholder { }
