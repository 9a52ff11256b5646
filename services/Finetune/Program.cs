using Platform.Finetune.Hosting;
using Platform.Gateway;
using Platform.Gateway.Configuration;
using Platform.ServiceDefaults;

// The all-in-one Gateway (its engine in this process) with the fine-tuning API next to it: jobs train co-served
// in the engine that serves, and their adapters are served by it as soon as they finish.
var builder = WebApplication.CreateBuilder(GatewayCommandLine.Expand(args));
builder.AddServiceDefaults();
builder.AddGateway();
builder.AddGatewayBackend();
builder.AddFinetune();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGateway();
app.MapFinetune();
app.Run();
