using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageService.Core.Ports;
using Microsoft.AspNetCore.StaticAssets.Infrastructure;

namespace ImageService.WebApp;

/// <summary>
/// The page at <c>/</c>: <c>WebApp/index.html</c> (embedded in the assembly, so that it is never served without its
/// policy) with every reference to an asset replaced by its fingerprinted
/// route (which <c>MapStaticAssets</c> serves as immutable), an import map that sends each module's imports to theirs,
/// and a Content-Security-Policy that lets the page run only the service's own scripts (no inline script but that
/// import map, by its hash) and reach only the service, storage and, in <c>Jwt</c> mode, the token endpoint.
/// </summary>
/// <remarks>The signer is resolved on the first page, not when the page is rendered at start: on the AWS engine it is
/// the S3 client, whose construction readiness need not wait for.</remarks>
internal sealed class WebAppPage(IServiceProvider services, WebAppSignIn signIn, ILogger<WebAppPage> logger)
{
    private const string ShellResource = "ImageService.WebApp.index.html";

    private Dictionary<string, string> routes = new(StringComparer.Ordinal);
    private string? html;
    private string? importMapHash;
    private string[]? storageOrigins;

    /// <summary>Learns the fingerprinted route of every asset (label <c>js/app.js</c> → route <c>js/app.1a2b3c.js</c>).</summary>
    public void UseAssets(IEndpointRouteBuilder endpoints)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var asset in StaticAssetsEndpointDataSourceHelper.ResolveStaticAssetDescriptors(endpoints, null))
        {
            var label = asset.Properties.FirstOrDefault(p => p.Name == "label")?.Value;
            if (label is not null && asset.Selectors.Count == 0 && asset.Properties.Any(p => p.Name == "fingerprint"))
            {
                found[label] = asset.Route;
            }
        }

        routes = found;
        if (found.Count == 0)
        {
            logger.LogWarning("The web app's files are missing: the static web assets manifest names none, so / answers 503. Was wwwroot published?");
            return;
        }

        // Rendered now, so that a broken page stops nothing later and costs no first request.
        html = Render(out importMapHash);
    }

    public async Task WriteAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (html is not { } page)
        {
            await Results.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Web app missing",
                detail: "This build of the service has no web app files (wwwroot). The API works; publish the app with its wwwroot folder to get the web app.")
                .ExecuteAsync(http);
            return;
        }

        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = await PolicyAsync(cancellationToken);
        headers.CacheControl = "no-cache";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers.XFrameOptions = "DENY";
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(page, cancellationToken);
    }

    private string Render(out string hash)
    {
        string text;
        using (var stream = typeof(WebAppPage).Assembly.GetManifestResourceStream(ShellResource)
            ?? throw new InvalidOperationException($"The web app's page ({ShellResource}) is not embedded in the assembly."))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            text = reader.ReadToEnd();
        }

        foreach (var (label, route) in routes.OrderByDescending(r => r.Key.Length))
        {
            text = text.Replace($"=\"/{label}\"", $"=\"/{route}\"", StringComparison.Ordinal);
        }

        // Modules import one another by plain paths; the map sends each to its fingerprinted route.
        var imports = routes.Where(r => r.Key.EndsWith(".js", StringComparison.Ordinal))
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .ToDictionary(r => "/" + r.Key, r => "/" + r.Value);
        var map = "{\"imports\":" + JsonSerializer.Serialize(imports, WebAppJsonContext.Default.DictionaryStringString) + "}";
        hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(map)));
        const string Marker = "<!-- import map -->";
        if (!text.Contains(Marker, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The web app's page has no '{Marker}' line for the import map.");
        }

        // Every module is fetched at once instead of as each import is found, one level after another.
        var preloads = string.Concat(imports.Values.Select(route => $"\n  <link rel=\"modulepreload\" href=\"{route}\">"));
        return text.Replace(Marker, $"<script type=\"importmap\">{map}</script>{preloads}", StringComparison.Ordinal);
    }

    private async Task<string> PolicyAsync(CancellationToken cancellationToken)
    {
        var storage = storageOrigins ??= await StorageOriginsAsync(cancellationToken);
        storage ??= [];
        var tokenOrigin = await signIn.TokenOriginAsync(cancellationToken);
        var images = string.Join(' ', ["'self'", "data:", "blob:", .. storage]);
        var connect = string.Join(' ', ["'self'", .. storage, .. tokenOrigin is null ? [] : new[] { tokenOrigin }]);
        return $"default-src 'none'; script-src 'self' 'sha256-{importMapHash}'; style-src 'self'; img-src {images}; " +
            $"connect-src {connect}; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    }

    /// <summary>Where the app's download links and direct-upload forms point, learnt by signing one of each (signing is
    /// local work); none when they are relative, that is, the service's own.</summary>
    private async Task<string[]?> StorageOriginsAsync(CancellationToken cancellationToken)
    {
        var probe = Guid.Empty;
        var expires = DateTimeOffset.UtcNow.AddMinutes(5);
        try
        {
            var signer = services.GetRequiredService<IBlobUrlSigner>();
            var download = await signer.SignDownloadAsync(new BlobDownload($"images/{probe:D}/thumbnail.webp", "image/webp", "probe.webp"), expires, cancellationToken);
            var upload = await signer.SignUploadAsync(new UploadPermit(probe, $"uploads/{probe:D}", "image/jpeg", 1, null), expires, cancellationToken);
            return new[] { download, upload.Url }
                .Where(u => u.IsAbsoluteUri)
                .Select(u => u.GetLeftPart(UriPartial.Authority))
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToArray();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Without storage's origin the page still works for the service's own links; the next page load tries again.
            logger.LogWarning(e, "The web app's policy could not learn storage's origin; images and direct uploads may be blocked until it can.");
            return null;
        }
    }
}
