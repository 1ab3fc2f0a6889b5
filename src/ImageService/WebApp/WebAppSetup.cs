using ImageService.Auth;
using ImageService.Configuration;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ImageService.WebApp;

/// <summary>
/// The web app: plain HTML, CSS and ES modules under <c>wwwroot</c>, served by <c>MapStaticAssets</c> (fingerprinted,
/// compressed, cached for good), and the page at <c>/</c>, which names the fingerprinted files and carries a strict
/// Content-Security-Policy. The app talks to the API of the same process and to nothing else but storage (the
/// download links and direct-upload forms) and, in <c>Jwt</c> mode, the authority's token endpoint.
/// </summary>
internal static class WebAppSetup
{
    public static WebApplicationBuilder AddWebApp(this WebApplicationBuilder builder)
    {
        // The files are found from the build output too (the tests' processes, `dotnet ImageService.dll`), not only in
        // Development; a publish copies them next to the app, where this finds no manifest and changes nothing.
        builder.WebHost.UseStaticWebAssets();
        builder.AddValidated(builder.Configuration.GetSection(WebAppOptions.Section).Get<WebAppOptions>(), o => o.Validate());
        builder.Services.AddSingleton<WebAppPage>();
        builder.Services.AddSingleton<WebAppSignIn>();
        return builder;
    }

    /// <summary>First in the pipeline, so that every answer has them, a 429 of the rate limiter too: nothing the service
    /// sends is to be sniffed into another type, and the API reference is not to be framed (it has no script policy:
    /// the reference tool's page runs an inline script).</summary>
    public static WebApplication UseResponseHardening(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            // Set as the headers go out, so that an error handler clearing the answer does not take them away.
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                if (http.Request.Path.StartsWithSegments("/scalar", StringComparison.OrdinalIgnoreCase) && !headers.ContainsKey("Content-Security-Policy"))
                {
                    headers.ContentSecurityPolicy = "frame-ancestors 'none'";
                }

                return Task.CompletedTask;
            });
            return next(http);
        });
        return app;
    }

    public static WebApplication MapWebApp(this WebApplication app)
    {
        app.MapStaticAssets().Add(endpoint => endpoint.Metadata.Add(new ExcludeFromDescriptionAttribute()));
        var page = app.Services.GetRequiredService<WebAppPage>();
        page.UseAssets(app);

        app.MapGet("/", (HttpContext http, CancellationToken cancellationToken) => page.WriteAsync(http, cancellationToken))
            .ExcludeFromDescription();
        app.MapGet("/app/config", GetConfigAsync)
            .WithTags("Web app")
            .WithSummary("What the web app at / needs to know: the sign-in mode and, in Jwt mode, how to sign in");
        return app;
    }

    private static async Task<Ok<WebAppConfigResponse>> GetConfigAsync(
        AuthOptions auth, WebAppSignIn signIn, HttpContext http, CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "no-cache";
        // In None mode there is no sign-in to describe, and DescribeAsync says so.
        var (details, unavailable) = await signIn.DescribeAsync(cancellationToken);
        return TypedResults.Ok(new WebAppConfigResponse(auth.Mode == AuthMode.Jwt ? "jwt" : "none", details, unavailable, "/scalar"));
    }
}

/// <summary>What the web app reads at start.</summary>
/// <param name="AuthMode"><c>none</c> (the person names themselves) or <c>jwt</c> (they sign in).</param>
/// <param name="SignIn">In <c>jwt</c> mode, how to sign in; null when the app cannot (then <paramref name="SignInUnavailable"/> says why).</param>
/// <param name="SignInUnavailable">Why there is no sign-in, in words for a person.</param>
/// <param name="ApiReferenceUrl">Where the interactive API reference is.</param>
public sealed record WebAppConfigResponse(string AuthMode, WebAppSignInDetails? SignIn, string? SignInUnavailable, string ApiReferenceUrl);

/// <summary>The authorization code flow with PKCE as the app runs it: a public client, the endpoints from the
/// authority's discovery document.</summary>
public sealed record WebAppSignInDetails(
    string Issuer, string AuthorizationEndpoint, string TokenEndpoint, string? EndSessionEndpoint, string ClientId, string Scope);
