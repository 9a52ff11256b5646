using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Finetune.Hosting;
using Platform.Gateway.Errors;

namespace Platform.Finetune.Files;

/// <summary>
/// Training files on disk under <c>{DataPath}/files</c>: the content (<c>{id}.jsonl</c>) and its description
/// (<c>{id}.json</c>). A file belongs to the tenant that uploaded it; to anyone else it does not exist (404).
/// </summary>
public sealed class FileStore
{
    private readonly string _dir;
    private readonly ConcurrentDictionary<string, StoredFile> _files = new(StringComparer.Ordinal);

    public FileStore(IOptions<FinetuneOptions> options)
    {
        _dir = Path.Combine(Path.GetFullPath(options.Value.DataPath), "files");
        Directory.CreateDirectory(_dir);
        foreach (var meta in Directory.EnumerateFiles(_dir, "*.json"))
        {
            if (JsonSerializer.Deserialize<StoredFile>(File.ReadAllText(meta), FinetuneJson.Options) is { } f)
            {
                _files[f.Id] = f;
            }
        }
    }

    public StoredFile Add(string? tenant, string filename, byte[] content, int examples, long createdAt)
    {
        var file = new StoredFile($"file-{Guid.NewGuid():N}", filename, "fine-tune", content.Length, createdAt, tenant, examples);
        File.WriteAllBytes(ContentPath(file.Id), content);
        FinetuneJson.WriteAtomically(Path.Combine(_dir, file.Id + ".json"), file);
        _files[file.Id] = file;
        return file;
    }

    /// <summary>The file when <paramref name="tenant"/> owns it; otherwise a 404 naming <paramref name="param"/>.</summary>
    public StoredFile Get(string id, string? tenant, string? param = null) =>
        _files.TryGetValue(id, out var f) && f.Tenant == tenant
            ? f
            : throw new ApiException(StatusCodes.Status404NotFound, $"No such File object: {id}", ErrorTypes.InvalidRequest, param, "file_not_found");

    public IReadOnlyList<StoredFile> List(string? tenant) =>
        [.. _files.Values.Where(f => f.Tenant == tenant).OrderByDescending(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal)];

    public byte[] Content(StoredFile file) => File.ReadAllBytes(ContentPath(file.Id));

    public void Delete(StoredFile file)
    {
        _files.TryRemove(file.Id, out _);
        File.Delete(ContentPath(file.Id));
        File.Delete(Path.Combine(_dir, file.Id + ".json"));
    }

    private string ContentPath(string id) => Path.Combine(_dir, id + ".jsonl");
}
