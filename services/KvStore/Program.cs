using Platform.KvStore;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddKvStore();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapKvStore();
app.Run();
