using Scalar.AspNetCore;

namespace ImageService.ApiDocs;

internal static class ApiDocsSetup
{
    public static WebApplicationBuilder AddApiDocs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi();
        return builder;
    }

    /// <summary>The OpenAPI document at /openapi/v1.json and its interactive reference at /scalar.</summary>
    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(options => options.WithTitle("Image service API"));
        app.MapGet("/", () => TypedResults.Redirect("/scalar")).ExcludeFromDescription();
        return app;
    }
}
