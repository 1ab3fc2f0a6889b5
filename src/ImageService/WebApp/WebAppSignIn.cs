using ImageService.Auth;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace ImageService.WebApp;

/// <summary>
/// How the web app signs in, in <c>Jwt</c> mode: the authority's endpoints from the discovery document the bearer
/// handler already reads (and caches) to check tokens, and the client id and scopes of <see cref="WebAppOptions"/>.
/// The page never waits long for an authority that is slow or down: one lookup runs at a time, for at most
/// <see cref="LookupTimeout"/>, and a failure is remembered for <see cref="RetryAfterFailure"/>, so a page load costs
/// the authority nothing while it is down.
/// </summary>
internal sealed class WebAppSignIn(
    AuthOptions auth, WebAppOptions options, IOptionsMonitor<JwtBearerOptions> bearer, TimeProvider time, ILogger<WebAppSignIn> logger)
{
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);

    /// <summary>How long one lookup waits for the discovery document before it counts as failed.</summary>
    public static readonly TimeSpan LookupGivesUp = TimeSpan.FromSeconds(15);

    /// <summary>How long a lookup that worked is used before the bearer handler's cache is asked again.</summary>
    public static readonly TimeSpan ReuseSuccess = TimeSpan.FromMinutes(5);

    private const string Unreachable = "The sign-in authority cannot be reached just now. Browsing works; reload the page in a moment to sign in.";

    private readonly Lock gate = new();
    private Task<(WebAppSignInDetails? Details, string? Unavailable)>? lookup;
    private DateTimeOffset finishedAt;

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

        Task<(WebAppSignInDetails? Details, string? Unavailable)> current;
        lock (gate)
        {
            // A lookup's age counts from when it ended: one that hung for a minute is not already a minute old.
            var age = time.GetUtcNow() - finishedAt;
            var worked = lookup is { IsCompletedSuccessfully: true } && lookup.Result.Details is not null;
            if (lookup is null || (lookup.IsCompleted && age >= (worked ? ReuseSuccess : RetryAfterFailure)))
            {
                lookup = Task.Run(async () =>
                {
                    try
                    {
                        return await LookUpAsync();
                    }
                    finally
                    {
                        lock (gate)
                        {
                            finishedAt = time.GetUtcNow();
                        }
                    }
                });
            }

            current = lookup;
        }

        // The lookup goes on without this request when it gives up waiting.
        try
        {
            return await current.WaitAsync(LookupTimeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return (null, Unreachable);
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

    private async Task<(WebAppSignInDetails? Details, string? Unavailable)> LookUpAsync()
    {
        try
        {
            var manager = bearer.Get(JwtBearerDefaults.AuthenticationScheme).ConfigurationManager;
            if (manager is null)
            {
                return Failed("Sign-in is not set up: the authority's discovery document is not read.");
            }

            // The bearer handler's manager caches the document (a day by default) and refreshes it itself. It does not
            // pass a cancellation on to its fetch, which lasts up to the handler's backchannel timeout, so the lookup
            // stops waiting for it after a while of its own.
            var discovery = await manager.GetConfigurationAsync(CancellationToken.None).WaitAsync(LookupGivesUp, time);
            if (string.IsNullOrEmpty(discovery.AuthorizationEndpoint) || string.IsNullOrEmpty(discovery.TokenEndpoint))
            {
                return Failed("The sign-in authority names no authorization or token endpoint (a Cognito user pool needs a domain for that). Browsing works.");
            }

            return (new WebAppSignInDetails(
                discovery.Issuer,
                discovery.AuthorizationEndpoint,
                discovery.TokenEndpoint,
                string.IsNullOrEmpty(discovery.EndSessionEndpoint) ? null : discovery.EndSessionEndpoint,
                options.OidcClientId!,
                string.Join(' ', options.OidcScope.Split(' ', StringSplitOptions.RemoveEmptyEntries))), null);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "The web app could not read the authority's discovery document.");
            return Failed(Unreachable);
        }
    }

    private static (WebAppSignInDetails? Details, string? Unavailable) Failed(string why) => (null, why);
}
