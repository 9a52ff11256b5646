namespace Platform.Gateway.Tests;

/// <summary>One Gateway on stories260K shared by the tests that need no special configuration.</summary>
public sealed class StoriesGatewayFixture : IAsyncLifetime
{
    public const int MaxRequestBodyBytes = 64 * 1024;

    private GatewayServer? _server;

    /// <summary>The server; skips the calling test when the checkpoint is absent.</summary>
    public GatewayServer Server
    {
        get
        {
            TestModels.RequireStories260K();
            return _server!;
        }
    }

    public async Task InitializeAsync()
    {
        if (TestModels.Stories260K is { } dir)
        {
            _server = await GatewayServer.StartAsync(dir, new Dictionary<string, string?>
            {
                ["Gateway:MaxRequestBodyBytes"] = MaxRequestBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StoriesGatewayCollection : ICollectionFixture<StoriesGatewayFixture>
{
    public const string Name = "stories gateway";
}
