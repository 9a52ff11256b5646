using Platform.ChunkStore.Hosting;
using Platform.PhaseSplit.Hosting;
using Platform.PhaseSplit.Kv;
using Platform.Prefill;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddPhaseSplitEngine(PrefillOptions.SectionName);
builder.Services.AddOptions<PrefillOptions>()
    .BindConfiguration(PrefillOptions.SectionName)
    .Validate(o => o.KvTransferTimeout > TimeSpan.Zero, "Prefill:KvTransferTimeout (Prefill__KvTransferTimeout) must be positive, e.g. 00:01:00")
    .Validate(o => o.MaxKvMessageBytes is > KvWire.MessageOverheadBytes and <= KvWire.MaxMessageBytes,
        $"Prefill:MaxKvMessageBytes (Prefill__MaxKvMessageBytes) must be in ({KvWire.MessageOverheadBytes}, {KvWire.MaxMessageBytes}]")
    .ValidateOnStart();
builder.Services.AddChunkStore();
builder.Services.AddSingleton<ChunkBlendResolver>();
builder.Services.AddSingleton<KvSender>();
builder.AddBusPrefillWorker();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcService<PrefillGrpcService>();
app.Run();
