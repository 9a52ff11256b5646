using System.Text.Json;
using Platform.Gateway.Api;
using Platform.Gateway.Backend;
using Platform.Gateway.Metrics;

namespace Platform.Gateway.Errors;

/// <summary>
/// Turns every failure under <c>/v1</c> into OpenAI's error shape and status, counts it, and never shows
/// internals: anything unexpected is logged and answered 500 with a generic message.
/// </summary>
internal sealed partial class OpenAiErrorMiddleware(RequestDelegate next, GatewayMetrics metrics, ILogger<OpenAiErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException)
        {
            // The client left; nobody reads an answer. Its engine requests were cancelled on the way out.
            LogClientGone(logger, context.Request.Path);
        }
        catch (Exception e) when (Translate(e) is { } error)
        {
            if (error.StatusCode >= 500)
            {
                LogFailed(logger, e, context.Request.Path, error.StatusCode);
            }
            if (context.Response.HasStarted)
            {
                // Mid-stream: the status line is gone; end the connection so the client sees a broken stream.
                context.Abort();
                metrics.RecordError(error.StatusCode);
                return;
            }
            await WriteAsync(context, error, metrics).ConfigureAwait(false);
        }
    }

    /// <summary>Writes <paramref name="error"/> as the response (status, headers, body) and counts it.</summary>
    public static async Task WriteAsync(HttpContext context, ApiException error, GatewayMetrics metrics)
    {
        metrics.RecordError(error.StatusCode);
        var response = context.Response;
        response.Clear();
        response.StatusCode = error.StatusCode;
        if (error.StatusCode == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer";
        }
        if (error.StatusCode is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = "1";
        }
        response.ContentType = "application/json";
        var body = new ErrorResponse(new ErrorDetail(error.Message, error.Type, error.Param, error.Code));
        await JsonSerializer.SerializeAsync(response.Body, body, GatewayJsonContext.Default.ErrorResponse, context.RequestAborted).ConfigureAwait(false);
    }

    private static ApiException Translate(Exception e) => e switch
    {
        ApiException api => api,
        BackendUnavailableException unavailable => new ApiException(
            StatusCodes.Status503ServiceUnavailable, $"The model cannot serve requests now: {unavailable.Message}", ErrorTypes.Unavailable, null, "model_not_ready"),
        // The engine's refusals name the problem and the field; .NET appends " (Parameter 'x')", OpenAI does not.
        ArgumentException arg => ApiException.BadRequest(
            arg.ParamName is { } p ? arg.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : arg.Message, arg.ParamName),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => RequestBody.TooLarge(null),
        BadHttpRequestException bad => ApiException.BadRequest($"The request could not be read: {bad.Message}"),
        _ => new ApiException(StatusCodes.Status500InternalServerError,
            "The server had an error while processing your request. Retry, or report it if it persists.", ErrorTypes.Server),
    };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client disconnected from {Path}; request cancelled")]
    private static partial void LogClientGone(ILogger logger, PathString path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request to {Path} failed with {StatusCode}")]
    private static partial void LogFailed(ILogger logger, Exception exception, PathString path, int statusCode);
}
