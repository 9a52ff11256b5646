using Google.Protobuf;
using Microsoft.AspNetCore.Http.Features;

namespace Platform.KvStore.Api;

/// <summary>
/// The HTTP API speaks the gRPC messages in proto3's JSON mapping with the proto's snake_case field names
/// (camelCase is accepted too), so the two APIs never drift apart. Errors are <c>{"error": {"message", "type"}}</c>.
/// </summary>
internal static class ProtoJson
{
    public const long MaxBodyBytes = 64L << 20;

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatDefaultValues(true));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    public static string Format(IMessage message) => Formatter.Format(message);

    /// <summary>The body as <typeparamref name="T"/>, or null after answering 400/413 itself.</summary>
    public static async Task<T?> ReadAsync<T>(HttpContext context)
        where T : IMessage<T>, new()
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }
        string body;
        try
        {
            using var reader = new StreamReader(context.Request.Body);
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {MaxBodyBytes} bytes").ConfigureAwait(false);
            return default;
        }
        try
        {
            return Parser.Parse<T>(body);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, $"the body is not a valid {typeof(T).Name}: {e.Message}").ConfigureAwait(false);
            return default;
        }
    }

    public static Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["error"] = new Dictionary<string, string>
            {
                ["message"] = message,
                ["type"] = status >= 500 ? "server_error" : "invalid_request_error",
            },
        }, context.RequestAborted);
    }
}
