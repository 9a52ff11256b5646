namespace Platform.Finetune.Files;

/// <summary>OpenAI's <c>file</c> object.</summary>
public sealed record FileObject(string Id, string Object, long Bytes, long CreatedAt, string Filename, string Purpose, string Status)
{
    public static FileObject Of(StoredFile f) => new(f.Id, "file", f.Bytes, f.CreatedAt, f.Filename, f.Purpose, "processed");
}
