using ImageService.Core.Images;
using ImageService.Core.Metadata;

namespace ImageService.Auth;

internal static class Callers
{
    /// <summary>The signed-in user (the token's <c>sub</c>) in Jwt mode; anonymous in None mode.</summary>
    public static Caller From(HttpContext context)
    {
        if (context.RequestServices.GetRequiredService<AuthOptions>().Mode != AuthMode.Jwt)
        {
            return Caller.Anonymous;
        }

        // The write policy admits only authenticated callers, and BearerTokenRules only tokens with a usable sub; a
        // writer without one here is a wiring bug, and must not fall back to anonymous (which skips owner checks).
        return context.User.FindFirst("sub")?.Value is { } subject && UploadMetadataParser.IsValidUserId(subject)
            ? new Caller(subject)
            : throw new InvalidOperationException("A write reached its handler in Jwt mode without a usable token subject.");
    }
}
