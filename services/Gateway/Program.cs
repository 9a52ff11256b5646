using Platform.Gateway;
using Platform.Gateway.Configuration;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(GatewayCommandLine.Expand(args));
builder.AddServiceDefaults();
builder.AddGateway();
builder.AddGatewayBackend();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGateway();
app.Run();
