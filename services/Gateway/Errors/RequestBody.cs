using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;

namespace Platform.Gateway.Errors;

/// <summary>Reads a JSON request body within the size limit, turning what is wrong with it into 400 or 413.</summary>
internal static class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type, long maxBytes)
        where T : class
    {
        if (context.Request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }
        // Also bounds chunked bodies without a Content-Length: Kestrel fails the read past the limit (413).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }
        T? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            var param = e.Path is null or "$" ? null : e.Path.TrimStart('$', '.');
            // Syntax errors carry the reader's exception inside; a value of the wrong type does not.
            if (string.IsNullOrEmpty(param) || e.InnerException is JsonException)
            {
                throw ApiException.BadRequest(
                    $"We could not parse the JSON body of your request: {(e.InnerException ?? e).Message}", null, "invalid_json");
            }
            // A value of the wrong type: the serializer's own message names internal types, so say it plainly.
            throw ApiException.BadRequest(
                $"Invalid type for '{param}' (line {e.LineNumber + 1}, byte {e.BytePositionInLine}).", param, "invalid_type");
        }
        return body ?? throw ApiException.BadRequest("The request body must be a JSON object.", null, "invalid_json");
    }

    public static ApiException TooLarge(long? maxBytes) => new(
        StatusCodes.Status413PayloadTooLarge,
        maxBytes is { } max
            ? $"The request body is too large: at most {max} bytes are accepted (Gateway:MaxRequestBodyBytes)."
            : "The request body is too large (Gateway:MaxRequestBodyBytes).",
        ErrorTypes.InvalidRequest, null, "request_too_large");
}
