using Grpc.Core;
using Platform.Contracts.Inference.V1;

namespace Platform.PhaseSplit.Tests;

/// <summary>
/// One Prefill and one Decode process shared by the tests of a class, started on first use (so a missing
/// checkpoint skips instead of failing the fixture), and the gateway's side of a split request.
/// </summary>
public sealed class SplitCluster : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ServiceProcess? _prefill;
    private ServiceProcess? _decode;

    public ServiceProcess Prefill => _prefill ?? throw new InvalidOperationException("call StartAsync first");

    public ServiceProcess Decode => _decode ?? throw new InvalidOperationException("call StartAsync first");

    /// <summary>The shared pair; the prefill cuts layers into 8 KiB messages so multi-chunk layers cross the wire too.</summary>
    public async Task StartAsync(string model)
    {
        await _gate.WaitAsync();
        try
        {
            if (_prefill is { HasExited: false } && _decode is { HasExited: false })
            {
                return;
            }
            _prefill?.Dispose();
            _decode?.Dispose();
            var prefill = ServiceProcess.StartAsync("Prefill", model, "--Prefill:MaxKvMessageBytes", "8192");
            var decode = ServiceProcess.StartAsync("Decode", model);
            _prefill = await prefill;
            _decode = await decode;
        }
        finally
        {
            _gate.Release();
        }
    }

    public static GenerationSpec Greedy(string id, IReadOnlyList<int> prompt, int maxTokens, bool ignoreEos = false)
    {
        var spec = new GenerationSpec
        {
            SchemaVersion = 1,
            RequestId = id,
            Sampling = new SamplingParams { Temperature = 0, TopP = 1, MaxTokens = maxTokens, IgnoreEos = ignoreEos },
        };
        spec.PromptTokenIds.AddRange(prompt);
        return spec;
    }

    /// <summary>
    /// What the gateway does: subscribe on the decode instance, ask the prefill instance to ship the KV there,
    /// read the tokens. The first streamed token is the one prefill sampled.
    /// </summary>
    public static async Task<(List<int> Tokens, PrefillReply Reply, TokenEvent Final)> GenerateAsync(
        ServiceProcess prefill, ServiceProcess decode, GenerationSpec spec, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var subscription = new DecodeService.DecodeServiceClient(decode.Channel).Generate(spec, deadline: deadline);
        var reply = await new PrefillService.PrefillServiceClient(prefill.Channel).PrefillAsync(
            new PrefillRequest { SchemaVersion = 1, Spec = spec, Decode = new DecodeTarget { Address = decode.Address } }, deadline: deadline);
        var tokens = new List<int>();
        await foreach (var e in subscription.ResponseStream.ReadAllAsync())
        {
            if (e.Token is { } token)
            {
                tokens.Add(token.TokenId);
            }
            if (e.FinishReason != FinishReason.Unspecified)
            {
                Assert.Equal(reply.FirstToken.TokenId, tokens[0]);
                return (tokens, reply, e);
            }
        }
        throw new InvalidOperationException($"the token stream of {spec.RequestId} ended without a final event");
    }

    public void Dispose()
    {
        _prefill?.Dispose();
        _decode?.Dispose();
        _gate.Dispose();
    }
}
