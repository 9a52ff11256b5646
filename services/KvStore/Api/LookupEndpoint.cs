using Platform.Contracts.KvStore.V1;
using Platform.Engine.Blending;
using Platform.KvStore.Ingest;

namespace Platform.KvStore.Api;

/// <summary><c>POST /v1/chunks/lookup</c> (a LookupChunksRequest) and <c>GET /v1/chunks/{id}?tenant=T</c>.</summary>
internal static class LookupEndpoint
{
    public static async Task HandleAsync(HttpContext context, ChunkDirectory directory)
    {
        var request = await ProtoJson.ReadAsync<LookupChunksRequest>(context).ConfigureAwait(false);
        if (request is not null)
        {
            await AnswerAsync(context, directory, request).ConfigureAwait(false);
        }
    }

    public static Task GetAsync(HttpContext context, string id, string? tenant, ChunkDirectory directory)
    {
        var request = new LookupChunksRequest { Tenant = tenant ?? "" };
        request.ChunkIds.Add(id);
        return AnswerAsync(context, directory, request);
    }

    private static async Task AnswerAsync(HttpContext context, ChunkDirectory directory, LookupChunksRequest request)
    {
        LookupChunksReply reply;
        try
        {
            reply = await directory.LookupAsync(request, context.RequestAborted).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            await ProtoJson.ErrorAsync(context, StatusCodes.Status400BadRequest, e.Message).ConfigureAwait(false);
            return;
        }
        catch (ChunkKvUnavailableException e)
        {
            await ProtoJson.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, e.Message).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(ProtoJson.Format(reply), context.RequestAborted).ConfigureAwait(false);
    }
}
