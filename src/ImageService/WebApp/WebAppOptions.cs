namespace ImageService.WebApp;

/// <summary>The web app at <c>/</c>, bound from <c>WebApp</c>. Sign-in only matters in <c>Jwt</c> mode with an
/// <c>Auth:Jwt:Authority</c>: the app then runs the authorization code flow with PKCE against that authority as a
/// public client (no secret), and its endpoints are the ones the authority's discovery document names.</summary>
public sealed class WebAppOptions
{
    public const string Section = "WebApp";

    /// <summary>The public client the app signs in as (Cognito: the user pool's app client id). Without it the app
    /// shows the gallery read-only in <c>Jwt</c> mode and says why.</summary>
    public string? OidcClientId { get; set; }

    /// <summary>The scopes the app asks for, separated by spaces; <c>openid</c> must be among them.</summary>
    public string OidcScope { get; set; } = "openid";

    public IEnumerable<string> Validate()
    {
        var scopes = (OidcScope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!scopes.Contains("openid", StringComparer.Ordinal))
        {
            yield return "WebApp:OidcScope must include 'openid' (scopes are separated by spaces), for example 'openid email'.";
        }

        if (OidcClientId is { Length: > 0 } id && (id.Length > 128 || id.Any(c => c <= ' ' || c > '~')))
        {
            yield return "WebApp:OidcClientId must be 1 to 128 printable ASCII characters without spaces.";
        }
    }
}
