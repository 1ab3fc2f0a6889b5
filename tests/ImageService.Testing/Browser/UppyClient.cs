using System.Text.Json;
using Microsoft.Playwright;

namespace ImageService.Testing.Browser;

/// <summary>What Uppy reported for one upload: its success or upload-error event, as the page saw it.</summary>
/// <param name="Status">Uppy's status: 200 on success (the S3 plugin reports 200 whatever S3 answered), S3's
/// status on an error S3 answered, 0 when the browser never let the page see an answer (CORS, network).</param>
/// <param name="ServiceCode">S3's error code (<c>AccessDenied</c> …) when S3 answered with one.</param>
/// <param name="Console">The page's console errors and warnings, where Chromium explains a CORS refusal.</param>
public sealed record UppyReport(
    bool Succeeded, int Status, string? Error, string? ServiceCode, string? Key, string? Location, long BytesUploaded,
    IReadOnlyList<string> Console);

/// <summary>
/// A Chromium page on <c>origin</c> that runs the Uppy bundle (<see cref="UppyBundle"/>). Playwright answers the
/// harness page and script itself under <c>{origin}/uppy-harness/</c>; everything else the page requests (a signing
/// endpoint, S3) goes out over the network, so S3 is cross-origin as it is for the real web app, and the origin may be
/// a real server's. The file reaches the page through a file input, as a user's pick would.
/// </summary>
public sealed class UppyClient : IAsyncDisposable
{
    private const string HarnessPath = "/uppy-harness/";

    private readonly IBrowserContext context;
    private readonly IPage page;
    private readonly List<string> console = [];
    private readonly string files = Directory.CreateTempSubdirectory("uppy-files-").FullName;

    private UppyClient(IBrowserContext context, IPage page)
    {
        this.context = context;
        this.page = page;
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                lock (console)
                {
                    console.Add(message.Text);
                }
            }
        };
    }

    public static async Task<UppyClient> OpenAsync(IBrowser browser, string origin)
    {
        var script = await UppyBundle.ScriptAsync();
        var context = await browser.NewContextAsync();
        // Chromium's Local Network Access: a page Playwright answers itself has no address, so Chromium takes it for
        // a public site, and a public page may reach loopback (s3rver, a local service) only with the user's leave,
        // given here as a user would at the prompt. In production the page and the bucket are both public and no
        // prompt appears. CORS is still enforced.
        await context.GrantPermissionsAsync(["local-network-access"]);
        var harness = origin.TrimEnd('/') + HarnessPath;
        await context.RouteAsync(harness, route => route.FulfillAsync(new() { ContentType = "text/html; charset=utf-8", Body = Page }));
        await context.RouteAsync(harness + "uppy-client.js", route => route.FulfillAsync(new() { ContentType = "text/javascript", BodyBytes = script }));
        var client = new UppyClient(context, await context.NewPageAsync());
        await client.page.GotoAsync(harness);
        await client.page.WaitForFunctionAsync("() => window.UppyClient !== undefined");
        return client;
    }

    /// <summary>
    /// Uploads <paramref name="bytes"/> as a file named <paramref name="fileName"/> of type <paramref name="contentType"/>.
    /// <paramref name="signRequest"/> is a JavaScript function <c>(request, arg) =&gt; ({ url, fields })</c> (or a
    /// promise of it) that answers Uppy's signing request; <paramref name="arg"/> reaches it as JSON.
    /// </summary>
    public async Task<UppyReport> UploadAsync(
        string fileName, string contentType, byte[] bytes, string signRequest, object? arg = null, TimeSpan? timeout = null)
    {
        // A path, not a buffer: the browser reads the file itself instead of taking 20 MB through the protocol.
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(files, Guid.NewGuid().ToString("N"))).FullName, fileName);
        await File.WriteAllBytesAsync(path, bytes);
        await page.SetInputFilesAsync("#file", path);
        var result = await page.EvaluateAsync<JsonElement>(
            $$"""
            async ({ name, type, arg }) => {
              const picked = document.getElementById('file').files[0];
              return await UppyClient.upload(new File([picked], name, { type }), ({{signRequest}}), arg);
            }
            """,
            new { name = fileName, type = contentType, arg }).WaitAsync(timeout ?? TimeSpan.FromMinutes(2));

        lock (console)
        {
            return new UppyReport(
                result.GetProperty("succeeded").GetBoolean(),
                result.GetProperty("status").ValueKind == JsonValueKind.Number ? result.GetProperty("status").GetInt32() : 0,
                Text(result, "error"), Text(result, "serviceCode"), Text(result, "key"), Text(result, "location"),
                result.GetProperty("bytesUploaded").GetInt64(),
                [.. console]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await context.CloseAsync();
        Directory.Delete(files, recursive: true);
    }

    private static string? Text(JsonElement result, string name) =>
        result.GetProperty(name).ValueKind == JsonValueKind.String ? result.GetProperty(name).GetString() : null;

    // A data: icon, so the page asks its origin for nothing but the harness.
    private const string Page = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Uppy harness</title><link rel="icon" href="data:,"></head>
        <body><input type="file" id="file"><script src="uppy-client.js"></script></body>
        </html>
        """;
}
