using Microsoft.Extensions.Options;
using Platform.Finetune.Files;
using Platform.Finetune.Hosting;
using Platform.Gateway.Errors;

namespace Platform.Finetune.Endpoints;

/// <summary><c>/v1/files</c>: training files are validated (and tokenized with the served model) on upload.</summary>
public sealed class FilesEndpoints(FileStore files, TrainingDataParser parser, IFineTuningModel model, IOptions<FinetuneOptions> options, TimeProvider time)
{
    private const long MultipartAllowanceBytes = 1 << 20;

    public async Task<IResult> UploadAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.HasFormContentType)
        {
            throw ApiException.BadRequest("Upload files as multipart/form-data with a 'file' part and purpose=fine-tune.", "file");
        }
        // Kestrel's own limit (30 MB) would cut uploads below Finetune:MaxFileBytes; the form's other parts get 1 MiB.
        long maxBody = options.Value.MaxFileBytes + MultipartAllowanceBytes;
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBody;
        }
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge,
                $"The upload is larger than {maxBody} bytes: files may have at most {options.Value.MaxFileBytes} bytes (Finetune:MaxFileBytes).",
                ErrorTypes.InvalidRequest, "file", "file_too_large");
        }
        var purpose = form["purpose"].ToString();
        if (purpose != "fine-tune")
        {
            throw ApiException.BadRequest(
                string.IsNullOrEmpty(purpose) ? "Missing 'purpose': this service accepts purpose=fine-tune." : $"Invalid purpose '{purpose}': this service accepts purpose=fine-tune.", "purpose");
        }
        var upload = form.Files.GetFile("file") ?? throw ApiException.BadRequest("Missing the 'file' part of the upload.", "file");
        if (upload.Length > options.Value.MaxFileBytes)
        {
            throw ApiException.BadRequest($"The file is {upload.Length} bytes; at most {options.Value.MaxFileBytes} are accepted (Finetune:MaxFileBytes).", "file");
        }
        using var buffer = new MemoryStream();
        await upload.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
        var content = buffer.ToArray();
        var (tokenizer, maxTokens) = model.Tokenization();
        var examples = parser.Parse(content, tokenizer, maxTokens);
        var stored = files.Add(CallerIdentity.Of(context).Tenant, Path.GetFileName(upload.FileName), content, examples.Count, time.GetUtcNow().ToUnixTimeSeconds());
        return Results.Json(FileObject.Of(stored), FinetuneJson.Options);
    }

    public IResult List(HttpContext context) =>
        Results.Json(new { @object = "list", data = files.List(CallerIdentity.Of(context).Tenant).Select(FileObject.Of), has_more = false }, FinetuneJson.Options);

    public IResult Get(HttpContext context, string id) =>
        Results.Json(FileObject.Of(files.Get(id, CallerIdentity.Of(context).Tenant)), FinetuneJson.Options);

    public IResult Delete(HttpContext context, string id)
    {
        var file = files.Get(id, CallerIdentity.Of(context).Tenant);
        files.Delete(file);
        return Results.Json(new { id, @object = "file", deleted = true }, FinetuneJson.Options);
    }
}
