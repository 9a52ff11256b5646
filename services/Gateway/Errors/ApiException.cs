namespace Platform.Gateway.Errors;

/// <summary>An error to answer in OpenAI's shape with this status; the message is shown to the client.</summary>
public sealed class ApiException : Exception
{
    public ApiException(int statusCode, string message, string type, string? param = null, string? code = null)
        : base(message)
    {
        StatusCode = statusCode;
        Type = type;
        Param = param;
        Code = code;
    }

    public int StatusCode { get; }
    public string Type { get; }
    public string? Param { get; }
    public string? Code { get; }

    public static ApiException BadRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, ErrorTypes.InvalidRequest, param, code);
}
