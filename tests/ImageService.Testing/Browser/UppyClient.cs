using System.Text.Json;
using Microsoft.Playwright;

namespace ImageService.Testing.Browser;

/// <summary>What Uppy reported for one upload: its success or upload-error event, as the page saw it.</summary>
/// <param name="Status">Uppy's status: 200 on success (the S3 plugin reports 200 whatever S3 answered), S3's
/// status on an error S3 answered, 0 when the browser never let the page see an answer (CORS, network).</param>
/// <param name="ServiceCode">S3's error code (<c>AccessDenied</c> …) when S3 answered with one.</param>
/// <param name="Console">The page's console errors and warnings, where Chromium explains a CORS refusal.</param>
/// <param name="ResponseBody">The text of the answer to a refused upload (S3's XML error, a service's problem
/// detail), when the page could read it.</param>
public sealed record UppyReport(
    bool Succeeded, int Status, string? Error, string? ServiceCode, string? Key, string? Location, long BytesUploaded,
    IReadOnlyList<string> Console, string? ResponseBody = null);

/// <summary>A service's answer to one of the page's own requests: its status and its body, parsed if JSON.</summary>
public sealed record PageAnswer(int Status, JsonElement? Body, string Text);

/// <summary>What a direct upload through the image service did, step by step, as the page saw it.</summary>
/// <param name="Created">The answer to <c>POST /uploads</c>; null when Uppy never asked to sign.</param>
/// <param name="Completed">The answer to <c>POST {complete_url}</c>; null unless Uppy reported success.</param>
/// <param name="Timings">Milliseconds the page spent hashing (<c>sha256Ms</c>), declaring (<c>createMs</c>), uploading
/// (<c>uploadMs</c>) and completing (<c>completeMs</c>), for those it did.</param>
public sealed record DirectUploadReport(UppyReport Upload, PageAnswer? Created, PageAnswer? Completed, IReadOnlyDictionary<string, double> Timings);

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
        await PickAsync(fileName, bytes);
        var result = await page.EvaluateAsync<JsonElement>(
            $$"""
            async ({ name, type, arg }) => {
              const picked = document.getElementById('file').files[0];
              return await UppyClient.upload(new File([picked], name, { type }), ({{signRequest}}), arg);
            }
            """,
            new { name = fileName, type = contentType, arg }).WaitAsync(timeout ?? TimeSpan.FromMinutes(2));
        return Report(result);
    }

    /// <summary>
    /// The image service's direct upload from this page, which must be on the service's origin: Uppy's signRequest
    /// posts <paramref name="metadata"/> with the file's size and type (and, if <paramref name="withSha256"/>, its
    /// SHA-256 from crypto.subtle) to <c>/uploads</c>, Uppy posts the file with the form answered, and on Uppy's
    /// success the page posts the upload's <c>complete_url</c>, unless <paramref name="complete"/> is false (then
    /// <see cref="PostAsync"/> can, later). <paramref name="declare"/> (JSON fields such as <c>size_bytes</c>) replaces
    /// what the page would declare.
    /// </summary>
    public async Task<DirectUploadReport> DirectUploadAsync(
        string fileName, string contentType, byte[] bytes, object metadata, bool withSha256 = false, object? declare = null,
        bool complete = true, TimeSpan? timeout = null)
    {
        await PickAsync(fileName, bytes);
        // As JSON text: Playwright's own conversion to a JsonElement adds a "$id" to every object, which would show
        // up among the form's fields.
        var json = await page.EvaluateAsync<string>(
            """
            async ({ name, type, options }) => {
              const picked = document.getElementById('file').files[0];
              return JSON.stringify(await UppyClient.directUpload(new File([picked], name, { type }), options));
            }
            """,
            new { name = fileName, type = contentType, options = new { metadata, declare = declare ?? new { }, withSha256, complete } })
            .WaitAsync(timeout ?? TimeSpan.FromMinutes(3));
        using var document = JsonDocument.Parse(json);
        var result = document.RootElement;
        return new DirectUploadReport(
            Report(result.GetProperty("report")), Answer(result.GetProperty("created")), Answer(result.GetProperty("completed")),
            result.GetProperty("timings").EnumerateObject().ToDictionary(timing => timing.Name, timing => timing.Value.GetDouble()));
    }

    /// <summary>A POST from the page, with no body or <paramref name="body"/> as JSON, and the answer it got.</summary>
    public async Task<PageAnswer> PostAsync(string url, object? body = null)
    {
        var json = await page.EvaluateAsync<string>(
            "async ({ url, body }) => JSON.stringify(await UppyClient.postJson(url, body ?? undefined))", new { url, body });
        using var document = JsonDocument.Parse(json);
        return Answer(document.RootElement)!;
    }

    // A path, not a buffer: the browser reads the file itself instead of taking 20 MB through the protocol.
    private async Task PickAsync(string fileName, byte[] bytes)
    {
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(files, Guid.NewGuid().ToString("N"))).FullName, fileName);
        await File.WriteAllBytesAsync(path, bytes);
        await page.SetInputFilesAsync("#file", path);
    }

    private UppyReport Report(JsonElement result)
    {
        lock (console)
        {
            return new UppyReport(
                result.GetProperty("succeeded").GetBoolean(),
                result.GetProperty("status").ValueKind == JsonValueKind.Number ? result.GetProperty("status").GetInt32() : 0,
                Text(result, "error"), Text(result, "serviceCode"), Text(result, "key"), Text(result, "location"),
                result.GetProperty("bytesUploaded").GetInt64(),
                [.. console],
                Text(result, "responseBody"));
        }
    }

    private static PageAnswer? Answer(JsonElement answer) => answer.ValueKind != JsonValueKind.Object
        ? null
        : new PageAnswer(
            answer.GetProperty("status").GetInt32(),
            answer.GetProperty("body").ValueKind == JsonValueKind.Null ? null : answer.GetProperty("body").Clone(),
            answer.GetProperty("text").GetString() ?? "");

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
