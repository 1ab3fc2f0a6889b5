using ImageService.Core.Images;

namespace ImageService.Auth;

internal static class Callers
{
    /// <summary>The signed-in user (the token's <c>sub</c>) in Jwt mode; anonymous otherwise.</summary>
    public static Caller From(HttpContext context) =>
        context.RequestServices.GetRequiredService<AuthOptions>().Mode == AuthMode.Jwt && context.User.FindFirst("sub")?.Value is { } subject
            ? new Caller(subject)
            : Caller.Anonymous;
}
