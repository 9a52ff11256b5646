using Microsoft.Extensions.Options;
using Platform.Gateway.Configuration;
using Platform.Gateway.Errors;
using Platform.Gateway.Metrics;

namespace Platform.Gateway.Generation;

/// <summary>Caps generation requests in flight (<c>Gateway:MaxConcurrentRequests</c>); one more is answered 429 at once.</summary>
public sealed class AdmissionGate(IOptions<GatewayOptions> options, GatewayMetrics metrics)
{
    private readonly int _max = options.Value.MaxConcurrentRequests;
    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Takes a slot until the returned lease is disposed; throws a 429 <see cref="ApiException"/> when full.</summary>
    public IDisposable Enter()
    {
        if (Interlocked.Increment(ref _inFlight) > _max)
        {
            Interlocked.Decrement(ref _inFlight);
            throw new ApiException(StatusCodes.Status429TooManyRequests,
                $"The server is already serving its maximum of {_max} concurrent requests. Retry shortly.",
                ErrorTypes.RateLimit, null, "rate_limit_exceeded");
        }
        metrics.AddInFlight(1);
        return new Lease(this);
    }

    private void Exit()
    {
        Interlocked.Decrement(ref _inFlight);
        metrics.AddInFlight(-1);
    }

    private sealed class Lease(AdmissionGate gate) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Exit();
            }
        }
    }
}
