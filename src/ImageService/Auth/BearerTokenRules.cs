using ImageService.Core.Metadata;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ImageService.Auth;

/// <summary>
/// What a token must say, beyond a good signature, lifetime, issuer and audience, before it may write: an owner
/// (<c>sub</c>) that is a valid user id, and that it is an access token. A token that fails is refused as a whole
/// (401 <c>invalid_token</c>), never treated as anonymous: an anonymous writer would skip every owner check.
/// </summary>
internal static class BearerTokenRules
{
    private const string RefusalKey = "auth.refusal";

    /// <summary>Cognito access tokens have no <c>aud</c>; they name the app client in <c>client_id</c>. That stands in for
    /// the audience only when there is no <c>aud</c>: a token whose <c>aud</c> names another API is not ours.</summary>
    public static bool IsForUs(IEnumerable<string> audiences, SecurityToken token, string audience)
    {
        var named = audiences.ToList();
        return named.Count > 0
            ? named.Contains(audience, StringComparer.Ordinal)
            : token is JsonWebToken web && web.TryGetClaim("client_id", out var clientId) && clientId.Value == audience;
    }

    /// <summary>Refusals are worded to follow "Your token was refused: ", and kept ASCII because they also travel in the
    /// WWW-Authenticate header.</summary>
    public static JwtBearerEvents Events() => new()
    {
        OnTokenValidated = context =>
        {
            if (Refusal(context.Principal?.FindFirst("sub")?.Value, context.Principal?.FindFirst("token_use")?.Value) is { } refusal)
            {
                context.HttpContext.Items[RefusalKey] = refusal;
                context.Fail(refusal);
            }

            return Task.CompletedTask;
        },
        OnAuthenticationFailed = context =>
        {
            context.HttpContext.Items[RefusalKey] ??= Describe(context.Exception);
            return Task.CompletedTask;
        },
        OnChallenge = context =>
        {
            if (context.HttpContext.Items[RefusalKey] is string refusal)
            {
                context.Error = "invalid_token";
                context.ErrorDescription = refusal;
            }

            return Task.CompletedTask;
        },
    };

    /// <summary>Why the current request's token was refused after its signature checked out, if it was.</summary>
    public static string? RefusalOf(HttpContext context) => context.Items[RefusalKey] as string;

    private static string Describe(Exception failure) => failure switch
    {
        SecurityTokenExpiredException => "it has expired; sign in again for a fresh one.",
        SecurityTokenInvalidAudienceException => "it is meant for another audience ('aud' or 'client_id') than this API.",
        SecurityTokenInvalidIssuerException => "it was issued by an issuer this service does not trust.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "its signature does not verify.",
        _ => "it is not a valid JWT.",
    };

    private static string? Refusal(string? subject, string? tokenUse) => (subject, tokenUse) switch
    {
        (_, "id") => "it is an ID token; send the access token instead (Cognito issues both at sign-in).",
        (null or "", _) => "it has no subject ('sub'), so it names no user to act as; use a token issued to a user.",
        _ when !UploadMetadataParser.IsValidUserId(subject) =>
            "its subject ('sub') cannot be used as a user id here (1 to 128 letters, digits, '-', '_' or '.'); ask the operator to map it.",
        _ => null,
    };
}
