namespace Platform.ChatTemplates.Tests;

internal static class TemplateAssert
{
    public static string Render(string template, object? variables = null)
    {
        var context = variables switch
        {
            null => new Dictionary<string, object?>(),
            IReadOnlyDictionary<string, object?> map => map,
            _ => variables.GetType().GetProperties().ToDictionary(p => p.Name, p => p.GetValue(variables)),
        };
        return ChatTemplate.Parse(template).Render(context);
    }

    public static void Renders(string expected, string template, object? variables = null) =>
        Assert.Equal(expected, Render(template, variables));
}
