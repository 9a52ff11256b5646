using Platform.Engine.Lora;
using Platform.Gateway.Adapters;
using Platform.Gateway.Api;
using Platform.Gateway.Errors;

namespace Platform.Gateway.Endpoints;

/// <summary>
/// <c>POST /v1/load_lora_adapter</c> and <c>POST /v1/unload_lora_adapter</c>, as vLLM names them. Admin keys
/// load for any tenant (<c>tenant</c> in the body) or shared; a tenant key with <c>ManageAdapters</c> loads
/// for its own tenant only; other keys are refused (403).
/// </summary>
internal sealed class LoraAdminEndpoint(AdapterCatalog catalog, ServedModel served, IServiceProvider services)
{
    public async Task<IResult> LoadAsync(HttpContext context)
    {
        var body = await RequestBody.ReadAsync(context, GatewayJsonContext.Default.LoadLoraAdapterRequest, 64 * 1024).ConfigureAwait(false);
        var tenant = Owner(context, body.Tenant);
        var name = RequireName(body.LoraName);
        if (string.IsNullOrWhiteSpace(body.LoraPath))
        {
            throw ApiException.BadRequest("'lora_path' is required: the directory of a PEFT adapter (adapter_config.json, adapter_model.safetensors).", "lora_path");
        }
        try
        {
            await catalog.LoadAsync(Host(), name, body.LoraPath, tenant, context.RequestAborted).ConfigureAwait(false);
        }
        catch (LoraAdapterException e)
        {
            throw ToApi(e, "lora_path");
        }
        return TypedResults.Text($"Success: LoRA adapter '{name}' added successfully.");
    }

    public async Task<IResult> UnloadAsync(HttpContext context)
    {
        var body = await RequestBody.ReadAsync(context, GatewayJsonContext.Default.UnloadLoraAdapterRequest, 64 * 1024).ConfigureAwait(false);
        var tenant = Owner(context, body.Tenant);
        var name = RequireName(body.LoraName);
        var adapter = catalog.Find(name, new CallerIdentity(tenant, false, false));
        if (adapter is null || adapter.Tenant != tenant)
        {
            throw new ApiException(StatusCodes.Status404NotFound, $"The lora adapter '{name}' cannot be found.", ErrorTypes.InvalidRequest, "lora_name", "model_not_found");
        }
        try
        {
            await catalog.UnloadAsync(Host(), adapter, context.RequestAborted).ConfigureAwait(false);
        }
        catch (LoraAdapterException e)
        {
            throw ToApi(e, "lora_name");
        }
        return TypedResults.Text($"Success: LoRA adapter '{name}' removed successfully.");
    }

    private IAdapterHost Host() => services.GetService<IAdapterHost>()
        ?? throw new ApiException(StatusCodes.Status501NotImplemented, "This gateway's backend cannot load LoRA adapters.", ErrorTypes.InvalidRequest);

    private static string? Owner(HttpContext context, string? requestedTenant)
    {
        var caller = CallerIdentity.Of(context);
        if (caller.IsAdmin)
        {
            if (requestedTenant is not null && (requestedTenant.Length == 0 || requestedTenant.Contains('/', StringComparison.Ordinal)))
            {
                throw ApiException.BadRequest($"'tenant' must be a non-empty name without '/', got '{requestedTenant}'.", "tenant");
            }
            return requestedTenant;
        }
        if (!caller.ManagesAdapters || caller.Tenant is null)
        {
            throw new ApiException(StatusCodes.Status403Forbidden, "This API key may not load or unload LoRA adapters.", ErrorTypes.InvalidRequest, null, "insufficient_permissions");
        }
        if (requestedTenant is not null && requestedTenant != caller.Tenant)
        {
            throw new ApiException(StatusCodes.Status403Forbidden, "A tenant key manages only its own tenant's adapters.", ErrorTypes.InvalidRequest, "tenant", "insufficient_permissions");
        }
        return caller.Tenant;
    }

    private string RequireName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100 || name.Contains('/', StringComparison.Ordinal) || name.Any(char.IsWhiteSpace))
        {
            throw ApiException.BadRequest("'lora_name' is required: 1 to 100 characters, no whitespace or '/'.", "lora_name");
        }
        if (string.Equals(name, served.Name, StringComparison.Ordinal))
        {
            throw ApiException.BadRequest($"'lora_name' cannot be the base model's name '{name}'.", "lora_name");
        }
        return name;
    }

    private static ApiException ToApi(LoraAdapterException e, string param) => e.Kind switch
    {
        LoraErrorKind.NotFound => new ApiException(StatusCodes.Status404NotFound, e.Message, ErrorTypes.InvalidRequest, param, "model_not_found"),
        _ => ApiException.BadRequest(e.Message, param, e.Kind == LoraErrorKind.LimitExceeded ? "lora_limit_exceeded" : null),
    };
}
