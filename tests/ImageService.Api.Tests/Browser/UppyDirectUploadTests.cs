using System.Net;
using System.Text.Json;
using Amazon.S3.Model;
using ImageService.Api.Tests.Processes;
using ImageService.Testing;
using ImageService.Testing.Aws;
using ImageService.Testing.Browser;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ImageService.Api.Tests.Browser;

/// <summary>
/// The service's direct upload end to end, as its web app will do it: Uppy with its S3 plugin in headless Chromium,
/// on a page of the running service's own origin (the built app as a process on a loopback port), declares a 20 MB
/// photo to <c>POST /uploads</c> from its signRequest, posts the file with the form answered (to the service itself on
/// the embedded engine, to the bucket on AWS), then completes the upload, and gets the image.
/// </summary>
public abstract class UppyDirectUploadTests(Chromium chromium, ITestOutputHelper output) : IDisposable
{
    // A 24-megapixel camera's size, of noise that JPEG cannot shrink; made once, it takes seconds.
    private static readonly Lazy<byte[]> Photo = new(() => TestImages.NoisyJpeg(6000, 4000));

    protected static readonly object Metadata = new { user_id = "u1", caption = "Sunset over the harbour", tags = new[] { "travel", "sunset" } };

    protected string Root { get; } = Directory.CreateTempSubdirectory("uppy-direct-").FullName;

    protected ITestOutputHelper Output => output;

    protected IBrowser Browser => chromium.Browser;

    protected abstract Task<Dictionary<string, string?>> SettingsAsync();

    /// <summary>Lets the page's origin post to wherever the service's forms send the file.</summary>
    protected virtual Task AllowPageOriginAsync(IReadOnlyDictionary<string, string?> settings, string origin) => Task.CompletedTask;

    /// <summary>Checks that the form POST /uploads answered sends the file where this engine takes it.</summary>
    protected abstract void AssertFormPostsToStorage(JsonElement created, string origin, bool withSha256);

    /// <summary>The keys left under the raw uploads' prefix <c>uploads/</c> in the service's blob store.</summary>
    protected abstract Task<IReadOnlyList<string>> RawUploadsLeftAsync(IReadOnlyDictionary<string, string?> settings);

    public virtual void Dispose()
    {
        Directory.Delete(Root, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <param name="withSha256">Whether the page declares the file's SHA-256 (crypto.subtle) as well as its size and type.</param>
    /// <param name="pageCompletesAtOnce">Whether the page completes as soon as Uppy reports success, as the web app does;
    /// otherwise the test first looks at the raw object in storage, then has the page complete.</param>
    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task Uppy_uploads_a_20_MB_photo_straight_to_storage_and_completing_it_gives_the_image(bool withSha256, bool pageCompletesAtOnce)
    {
        var photo = Photo.Value;
        Assert.InRange(photo.Length, 18_000_000, 30_000_000);
        var settings = await SettingsAsync();
        using var service = await ServiceProcess.StartAsync(settings);
        var origin = service.Address.GetLeftPart(UriPartial.Authority);
        await AllowPageOriginAsync(settings, origin);

        await using var uppy = await UppyClient.OpenAsync(Browser, origin);
        var result = await uppy.DirectUploadAsync("harbour.jpg", "image/jpeg", photo, Metadata, withSha256, complete: pageCompletesAtOnce);

        output.WriteLine($"{photo.Length:N0} bytes; page timings (ms): {string.Join(", ", result.Timings.Select(t => $"{t.Key} {t.Value:F0}"))}");
        Assert.True(result.Created?.Status == 201, $"POST /uploads answered {result.Created?.Status}: {result.Created?.Text}");
        var created = result.Created!.Body!.Value;
        Assert.Equal(photo.Length, created.GetProperty("size_bytes").GetInt64());
        Assert.Equal("image/jpeg", created.GetProperty("content_type").GetString());
        Assert.Equal("POST", created.GetProperty("method").GetString());
        AssertFormPostsToStorage(created, origin, withSha256);
        var report = result.Upload;
        Assert.True(report.Succeeded,
            $"Uppy reported: {report.Status} {report.Error} {report.ResponseBody}; console: {string.Join(" | ", report.Console)}; service: {service.Output}");
        Assert.Equal(photo.Length, report.BytesUploaded);
        var rawKey = $"uploads/{created.GetProperty("upload_id").GetString()}";
        Assert.Equal(rawKey, report.Key);
        var completed = result.Completed;
        if (!pageCompletesAtOnce)
        {
            // Uppy's success means storage holds the file, raw, under the upload's key, until complete takes it.
            Assert.Equal([rawKey], await RawUploadsLeftAsync(settings));
            var started = System.Diagnostics.Stopwatch.StartNew();
            completed = await uppy.PostAsync(created.GetProperty("complete_url").GetString()!);
            output.WriteLine($"complete from the page: {started.ElapsedMilliseconds} ms");
        }

        Assert.True(completed?.Status == 201, $"complete answered {completed?.Status}: {completed?.Text}; service: {service.Output}");
        var image = completed!.Body!.Value;
        Assert.Equal("Image uploaded successfully", image.GetProperty("message").GetString());
        Assert.Equal((6000, 4000), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
        Assert.Equal("image/jpeg", image.GetProperty("content_type").GetString());
        Assert.Equal("u1", image.GetProperty("user_id").GetString());
        Assert.Equal("Sunset over the harbour", image.GetProperty("caption").GetString());
        Assert.Equal(["travel", "sunset"], image.GetProperty("tags").EnumerateArray().Select(tag => tag.GetString()));
        Assert.Equal(["thumbnail", "display", "original"], image.GetProperty("variants").EnumerateArray().Select(v => v.GetProperty("name").GetString()));

        using var client = new HttpClient { BaseAddress = service.Address };
        var id = image.GetProperty("image_id").GetString();
        using var got = await client.GetAsync($"/images/{id}");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        var stored = JsonDocument.Parse(await got.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(id, stored.GetProperty("image_id").GetString());
        Assert.Equal((6000, 4000), (stored.GetProperty("width").GetInt32(), stored.GetProperty("height").GetInt32()));
        Assert.Equal("Sunset over the harbour", stored.GetProperty("caption").GetString());
        Assert.Empty(await RawUploadsLeftAsync(settings));
    }
}

public sealed class LocalUppyDirectUploadTests(Chromium chromium, ITestOutputHelper output)
    : UppyDirectUploadTests(chromium, output), IClassFixture<Chromium>
{
    private string DataFolder => Path.Combine(Root, "data");

    protected override Task<Dictionary<string, string?>> SettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Storage:Local:Root"] = DataFolder });

    protected override void AssertFormPostsToStorage(JsonElement created, string origin, bool withSha256)
    {
        // The service takes the form itself, same origin as the page.
        Assert.Equal($"{origin}/uploads/{created.GetProperty("upload_id").GetString()}/file", created.GetProperty("url").GetString());
        Assert.Equal(["Content-Type", "key", "policy", "signature"], created.GetProperty("fields").EnumerateObject().Select(f => f.Name).Order(StringComparer.Ordinal));
    }

    protected override Task<IReadOnlyList<string>> RawUploadsLeftAsync(IReadOnlyDictionary<string, string?> settings)
    {
        // The embedded blob store keeps key k at {root}/blobs/k.
        var blobs = Path.Combine(DataFolder, "blobs");
        var raw = Path.Combine(blobs, "uploads");
        IReadOnlyList<string> left = Directory.Exists(raw)
            ? [.. Directory.GetFiles(raw, "*", SearchOption.AllDirectories).Select(file => Path.GetRelativePath(blobs, file).Replace('\\', '/'))]
            : [];
        return Task.FromResult(left);
    }

    public override void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        base.Dispose();
    }

    /// <summary>
    /// A client that declares one file and sends another, larger one: the service, which takes the form itself on the
    /// embedded engine, refuses it as it streams in, Uppy reports the refusal, and the upload cannot complete.
    /// </summary>
    [Fact]
    public async Task Uppy_sending_a_larger_file_than_it_declared_is_refused_and_the_upload_never_completes()
    {
        var declared = TestImages.NoisyJpeg(1200, 800);
        var sent = TestImages.NoisyJpeg(2400, 1600);
        Assert.True(sent.Length > declared.Length);
        using var service = await ServiceProcess.StartAsync(await SettingsAsync());
        var origin = service.Address.GetLeftPart(UriPartial.Authority);

        await using var uppy = await UppyClient.OpenAsync(Browser, origin);
        var result = await uppy.DirectUploadAsync("harbour.jpg", "image/jpeg", sent, Metadata, declare: new { size_bytes = declared.Length });

        Assert.True(result.Created?.Status == 201, $"POST /uploads answered {result.Created?.Status}: {result.Created?.Text}");
        Assert.Equal(declared.Length, result.Created!.Body!.Value.GetProperty("size_bytes").GetInt64());
        var report = result.Upload;
        Output.WriteLine($"Uppy reported: {report.Status} {report.Error}; body: {report.ResponseBody}; console: {string.Join(" | ", report.Console)}");
        Assert.False(report.Succeeded);
        Assert.Equal(413, report.Status);
        Assert.Equal("S3 returned 413", report.Error);
        var problem = JsonDocument.Parse(report.ResponseBody!).RootElement;
        Assert.Equal(413, problem.GetProperty("status").GetInt32());
        Assert.Contains($"larger than the {declared.Length:N0} bytes this upload declared", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Null(result.Completed);

        using var client = new HttpClient { BaseAddress = service.Address };
        using var complete = await client.PostAsync(result.Created.Body.Value.GetProperty("complete_url").GetString(), content: null);
        var completeText = await complete.Content.ReadAsStringAsync();
        Output.WriteLine($"complete answered {(int)complete.StatusCode}: {completeText}");
        Assert.True(complete.StatusCode == HttpStatusCode.Conflict, $"complete answered {(int)complete.StatusCode}: {completeText}");
        Assert.Contains("has not arrived", JsonDocument.Parse(completeText).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, JsonDocument.Parse(await client.GetStringAsync("/images")).RootElement.GetArrayLength());
        Assert.Empty(await RawUploadsLeftAsync(new Dictionary<string, string?>()));
    }
}

[Collection(EmulatorGroup.Name)]
public sealed class AwsUppyDirectUploadTests(AwsEmulators emulators, Chromium chromium, ITestOutputHelper output)
    : UppyDirectUploadTests(chromium, output), IClassFixture<Chromium>
{
    protected override async Task<Dictionary<string, string?>> SettingsAsync() =>
        emulators.ServiceSettings(await emulators.CreateBucketAsync(), await emulators.CreateTableAsync());

    protected override Task AllowPageOriginAsync(IReadOnlyDictionary<string, string?> settings, string origin) =>
        emulators.AllowPageOriginAsync(settings["Storage:Aws:Bucket"]!, origin);

    protected override void AssertFormPostsToStorage(JsonElement created, string origin, bool withSha256)
    {
        // Straight to the bucket on s3rver, another origin than the page's: the bucket's CORS rule lets the page read
        // the answer.
        var url = created.GetProperty("url").GetString()!;
        Assert.StartsWith(emulators.S3Endpoint, url, StringComparison.Ordinal);
        Assert.False(url.StartsWith(origin, StringComparison.Ordinal));
        var fields = created.GetProperty("fields");
        Assert.Equal($"uploads/{created.GetProperty("upload_id").GetString()}", fields.GetProperty("key").GetString());
        Assert.True(fields.TryGetProperty("Policy", out _) || fields.TryGetProperty("policy", out _), fields.GetRawText());
        Assert.Equal(withSha256, fields.TryGetProperty("x-amz-checksum-sha256", out _));
    }

    protected override async Task<IReadOnlyList<string>> RawUploadsLeftAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var objects = await emulators.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = settings["Storage:Aws:Bucket"], Prefix = "uploads/" });
        return [.. (objects.S3Objects ?? []).Select(o => o.Key)];
    }
}
