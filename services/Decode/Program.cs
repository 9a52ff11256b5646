using Platform.Decode;
using Platform.Decode.FineTuning;
using Platform.PhaseSplit.Hosting;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddPhaseSplitEngine(DecodeOptions.SectionName);
builder.Services.AddOptions<DecodeOptions>()
    .BindConfiguration(DecodeOptions.SectionName)
    .Validate(o => o.KvTransferTimeout > TimeSpan.Zero, "Decode:KvTransferTimeout (Decode__KvTransferTimeout) must be positive, e.g. 00:00:30")
    .Validate(o => o.KvArrivalTimeout > TimeSpan.Zero, "Decode:KvArrivalTimeout (Decode__KvArrivalTimeout) must be positive, e.g. 00:01:00")
    .Validate(o => o.CommittedRequestMemory > TimeSpan.Zero, "Decode:CommittedRequestMemory (Decode__CommittedRequestMemory) must be positive, e.g. 00:10:00")
    .ValidateOnStart();
builder.Services.AddSingleton<PendingGenerations>();
builder.Services.AddSingleton<KvReceiver>();
builder.Services.AddSingleton<KvTransferLedger>();
builder.Services.AddSingleton<FineTuningJobs>();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGrpcService<DecodeGrpcService>();
app.MapGrpcService<FineTuningGrpcService>();
app.Run();
