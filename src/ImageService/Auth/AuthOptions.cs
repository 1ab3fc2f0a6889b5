namespace ImageService.Auth;

public enum AuthMode
{
    /// <summary>No sign-in: the uploader is whoever <c>metadata.user_id</c> names, as in the original specification.</summary>
    None,

    /// <summary>Bearer tokens: uploads and deletes need a valid JWT, and the owner is its <c>sub</c>.</summary>
    Jwt,
}

/// <summary>Who may write, bound from <c>Auth</c>. Reads are always public.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public AuthMode Mode { get; set; } = AuthMode.None;

    public JwtSettings Jwt { get; set; } = new();

    public IEnumerable<string> Validate()
    {
        if (Mode != AuthMode.Jwt)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(Jwt.Authority) == string.IsNullOrWhiteSpace(Jwt.SigningKey))
        {
            yield return "Auth:Jwt needs exactly one of Auth:Jwt:Authority (an OIDC issuer such as a Cognito user pool) or Auth:Jwt:SigningKey (a shared key for development and tests).";
        }

        if (!string.IsNullOrWhiteSpace(Jwt.Authority)
            && (!Uri.TryCreate(Jwt.Authority, UriKind.Absolute, out var named) || (named.Scheme != Uri.UriSchemeHttps && named.Scheme != Uri.UriSchemeHttp)))
        {
            yield return $"Auth:Jwt:Authority must be an absolute https URL, such as https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf; it is '{Jwt.Authority}'.";
        }

        if (Jwt.RequireHttpsMetadata && Uri.TryCreate(Jwt.Authority, UriKind.Absolute, out var authority) && authority.Scheme != Uri.UriSchemeHttps)
        {
            yield return $"Auth:Jwt:Authority must be an https URL while Auth:Jwt:RequireHttpsMetadata is true (its keys are fetched from it); it is {authority.Scheme}.";
        }

        if (string.IsNullOrWhiteSpace(Jwt.Audience))
        {
            yield return "Auth:Jwt:Audience is required in Jwt mode (for Cognito: the app client id).";
        }

        if (!string.IsNullOrWhiteSpace(Jwt.SigningKey))
        {
            if (System.Text.Encoding.UTF8.GetByteCount(Jwt.SigningKey) < 32)
            {
                yield return "Auth:Jwt:SigningKey must be at least 32 bytes long.";
            }

            if (string.IsNullOrWhiteSpace(Jwt.Issuer))
            {
                yield return "Auth:Jwt:Issuer is required with Auth:Jwt:SigningKey.";
            }
        }
    }
}

public sealed class JwtSettings
{
    /// <summary>OIDC issuer whose published keys sign the tokens, e.g. https://cognito-idp.{region}.amazonaws.com/{pool id}.</summary>
    public string? Authority { get; set; }

    /// <summary>The expected audience; Cognito access tokens carry it as <c>client_id</c>, which is accepted too.</summary>
    public string? Audience { get; set; }

    /// <summary>The expected issuer when tokens are signed with <see cref="SigningKey"/>.</summary>
    public string? Issuer { get; set; }

    /// <summary>A shared HMAC key (at least 32 bytes) for development and tests, instead of an authority.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Whether the <see cref="Authority"/>'s discovery document and keys must be fetched over https. On by
    /// default; turn it off only for an authority on a loopback or otherwise trusted network, as in the tests.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;
}
