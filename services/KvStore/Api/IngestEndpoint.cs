using Platform.Contracts.KvStore.V1;
using Platform.KvStore.Ingest;

namespace Platform.KvStore.Api;

/// <summary>
/// <c>POST /v1/ingest</c>: an IngestRequest as JSON; the answer streams as NDJSON, one IngestProgress per chunk
/// as it is stored, the last with <c>"done": true</c>.
/// </summary>
internal static class IngestEndpoint
{
    public static async Task HandleAsync(HttpContext context, DocumentIngestor ingestor)
    {
        var request = await ProtoJson.ReadAsync<IngestRequest>(context).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }
        IngestPlan plan;
        try
        {
            plan = ingestor.Plan(request);
        }
        catch (ArgumentException e)
        {
            await ProtoJson.ErrorAsync(context, StatusCodes.Status400BadRequest, e.Message).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = "application/x-ndjson";
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        await foreach (var progress in ingestor.RunAsync(plan, context.RequestAborted).ConfigureAwait(false))
        {
            await context.Response.WriteAsync(ProtoJson.Format(progress) + "\n", context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
    }
}
