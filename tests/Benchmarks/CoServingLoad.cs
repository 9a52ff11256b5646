namespace Platform.Benchmarks;

/// <summary>
/// A decode load for the co-serving benchmark: a closed loop of <paramref name="Concurrency"/> sequences, or
/// (when it is 0) Poisson arrivals at <paramref name="RequestsPerSecond"/>; each request generates <paramref name="GeneratedTokens"/>.
/// </summary>
internal sealed record CoServingLoad(int Concurrency, double RequestsPerSecond, int GeneratedTokens);
