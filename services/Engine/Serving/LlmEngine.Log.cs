using Microsoft.Extensions.Logging;

namespace Platform.Engine.Serving;

public sealed partial class LlmEngine
{
    [LoggerMessage(Level = LogLevel.Information,
        Message = "Engine ready: {Architecture}, {NumBlocks} KV blocks of {BlockSize} tokens, max model length {MaxModelLength}, {Device}/{DType}, torch OpenMP wait policy {OpenMpWaitPolicy}, warmed up on {WarmUpTokens} tokens in {WarmUpMilliseconds:F0} ms")]
    private static partial void LogStarted(
        ILogger logger, string architecture, int numBlocks, int blockSize, int maxModelLength, string device, string dType, string openMpWaitPolicy,
        int warmUpTokens, double warmUpMilliseconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {RequestId} finished: {Reason}, {PromptTokens} prompt + {CompletionTokens} completion tokens")]
    private static partial void LogFinished(ILogger logger, string requestId, FinishReason reason, int promptTokens, int completionTokens);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} preempted (KV blocks exhausted), will recompute; preemptions so far {Count}")]
    private static partial void LogPreempted(ILogger logger, string requestId, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine step failed; its requests end with an error")]
    private static partial void LogStepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Co-served fine-tuning failed; the job stops, serving goes on")]
    private static partial void LogFineTuningFailed(ILogger logger, Exception exception);
}
