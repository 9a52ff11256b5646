namespace Platform.Finetune.Files;

/// <summary>An uploaded training file: what the API shows, its owner, and how many examples it holds.</summary>
public sealed record StoredFile(string Id, string Filename, string Purpose, long Bytes, long CreatedAt, string? Tenant, int Examples);
