using ImageService.Auth;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace ImageService.WebApp;

/// <summary>
/// How the web app signs in, in <c>Jwt</c> mode: the authority's endpoints from the discovery document the bearer
/// handler already reads (and caches) to check tokens, and the client id and scopes of <see cref="WebAppOptions"/>.
/// </summary>
internal sealed class WebAppSignIn(AuthOptions auth, WebAppOptions options, IOptionsMonitor<JwtBearerOptions> bearer, ILogger<WebAppSignIn> logger)
{
    public async Task<(WebAppSignInDetails? Details, string? Unavailable)> DescribeAsync(CancellationToken cancellationToken)
    {
        if (auth.Mode != AuthMode.Jwt)
        {
            return (null, null);
        }

        if (string.IsNullOrWhiteSpace(auth.Jwt.Authority))
        {
            return (null, "This service checks tokens with a shared key (Auth:Jwt:SigningKey), so there is no authority to sign in with here. Browsing works; to upload, use the API with a token.");
        }

        if (string.IsNullOrWhiteSpace(options.OidcClientId))
        {
            return (null, "Sign-in is not set up for the web app: WebApp:OidcClientId names no client of the authority. Browsing works.");
        }

        var manager = bearer.Get(JwtBearerDefaults.AuthenticationScheme).ConfigurationManager;
        if (manager is null)
        {
            return (null, "Sign-in is not set up: the authority's discovery document is not read.");
        }

        try
        {
            var discovery = await manager.GetConfigurationAsync(cancellationToken);
            if (string.IsNullOrEmpty(discovery.AuthorizationEndpoint) || string.IsNullOrEmpty(discovery.TokenEndpoint))
            {
                return (null, "The sign-in authority names no authorization or token endpoint (a Cognito user pool needs a domain for that). Browsing works.");
            }

            return (new WebAppSignInDetails(
                discovery.Issuer,
                discovery.AuthorizationEndpoint,
                discovery.TokenEndpoint,
                string.IsNullOrEmpty(discovery.EndSessionEndpoint) ? null : discovery.EndSessionEndpoint,
                options.OidcClientId,
                string.Join(' ', options.OidcScope.Split(' ', StringSplitOptions.RemoveEmptyEntries))), null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "The web app could not read the authority's discovery document.");
            return (null, "The sign-in authority cannot be reached just now. Browsing works; reload the page in a moment to sign in.");
        }
    }

    /// <summary>The origin of the token endpoint, which the page's policy must let it post to; null when there is none.</summary>
    public async Task<string?> TokenOriginAsync(CancellationToken cancellationToken)
    {
        var (details, _) = await DescribeAsync(cancellationToken);
        return details is not null && Uri.TryCreate(details.TokenEndpoint, UriKind.Absolute, out var token)
            ? token.GetLeftPart(UriPartial.Authority)
            : null;
    }
}
