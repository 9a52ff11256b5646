using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Platform.Gateway.Api;
using Platform.Gateway.Errors;

namespace Platform.Gateway.Endpoints;

/// <summary>OpenAI's streaming wire format: <c>data: {json}\n\n</c> events, flushed one by one, ending with <c>data: [DONE]</c>.</summary>
internal static class ServerSentEvents
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] Separator = "\n\n"u8.ToArray();
    private static readonly byte[] Done = Encoding.UTF8.GetBytes("data: [DONE]\n\n");

    public static async Task StartAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        // Proxies (nginx) must pass events through as they come.
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task WriteAsync<T>(HttpResponse response, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, type);
        var body = response.Body;
        await body.WriteAsync(Prefix, cancellationToken).ConfigureAwait(false);
        await body.WriteAsync(json, cancellationToken).ConfigureAwait(false);
        await body.WriteAsync(Separator, cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An error after the stream began: one event in OpenAI's error shape (the status line is already sent).</summary>
    public static Task WriteErrorAsync(HttpResponse response, ApiException error, CancellationToken cancellationToken) =>
        WriteAsync(response, new ErrorResponse(new ErrorDetail(error.Message, error.Type, error.Param, error.Code)),
            GatewayJsonContext.Default.ErrorResponse, cancellationToken);

    public static async Task WriteDoneAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Done, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
