using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ImageService.Testing;
using ImageService.Testing.Aws;
using Xunit.Abstractions;

namespace ImageService.Api.Tests;

/// <summary>
/// The app as it ships: published for linux-x64 (the default self-contained, trimmed, composite ReadyToRun package, and
/// Native AOT), then started as its own
/// process. First the way Lambda and the Lambda Web Adapter start it — the template's handler, environment and
/// readiness path for that package's <c>Package</c> choice — against the emulators; then on the embedded backend. Native AOT has no reflection-based JSON or configuration
/// binding, so this is where a type missing from a source-generated context would show.
/// </summary>
[Collection(EmulatorGroup.Name)]
public sealed class PublishedAppTests(AwsEmulators emulators, ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_published_app_serves_the_api_in_lambda_mode_and_on_the_embedded_backend(bool nativeAot)
    {
        var publishFolder = Directory.CreateTempSubdirectory("publish-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            await RunAsync("dotnet", "publish", Path.Combine(RepositoryPaths.Root, "src", "ImageService"),
                "-c", "Release", "-r", "linux-x64", $"-p:PublishAot={nativeAot}", "-o", publishFolder);
            output.WriteLine($"published (Native AOT: {nativeAot}) in {clock.Elapsed.TotalSeconds:F0} s");
            await ServesTheApiInLambdaModeAsync(publishFolder, nativeAot);
            await ServesTheApiOnTheEmbeddedBackendAsync(publishFolder);
        }
        finally
        {
            Directory.Delete(publishFolder, recursive: true);
        }
    }

    private async Task ServesTheApiInLambdaModeAsync(string publishFolder, bool nativeAot)
    {
        // The stack this package is deployed as: anonymous uploads, and the package's choice (scripts/deploy.sh).
        var function = LambdaFunction.FromTemplate(new Dictionary<string, string>
        {
            ["AuthMode"] = "None",
            ["Package"] = nativeAot ? "NativeAot" : "ReadyToRun",
        });
        if (nativeAot)
        {
            // The OS-only runtime starts the package's bootstrap itself; it has no exec wrapper to honour.
            Assert.Equal(("provided.al2023", "bootstrap"), (function.Runtime, function.Handler));
            Assert.False(function.Environment.ContainsKey("AWS_LAMBDA_EXEC_WRAPPER"));
        }
        else
        {
            // The managed runtime runs the layer's wrapper, which starts the handler.
            Assert.Equal(("dotnet10", "ImageService"), (function.Runtime, function.Handler));
            Assert.Equal("/opt/bootstrap", function.Environment["AWS_LAMBDA_EXEC_WRAPPER"]);
        }

        var handler = new FileInfo(Path.Combine(publishFolder, function.Handler));
        Assert.True(handler.Exists, $"the package has no {function.Handler}");
        Assert.True(handler.UnixFileMode.HasFlag(UnixFileMode.UserExecute), $"{function.Handler} is not executable");

        var environment = function.EnvironmentOn(emulators, await emulators.CreateBucketAsync(), await emulators.CreateTableAsync());
        await using var app = await StartAsync(publishFolder, function.Handler, environment, [], function.Port, function.ReadinessPath);
        var client = app.Client;

        var uploaded = await client.UploadOkAsync(TestImages.Jpeg(1200, 900));
        var id = uploaded.Str("image_id");
        var listed = JsonDocument.Parse(await client.GetStringAsync("/images?tag=travel")).RootElement;
        Assert.Equal(id, listed[0].Str("image_id"));
        var view = await (await client.GetAsync($"/images/{id}")).JsonAsync();
        var original = await client.GetByteArrayAsync(view.Str("url"));
        Assert.Equal(uploaded.Str("sha256"), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(original)));

        // The template's upload ceiling (Lambda's payload limit) is in force, with a clear 413.
        // Expect: 100-continue lets the client hear the refusal before it sends the body, as curl does.
        client.DefaultRequestHeaders.ExpectContinue = true;
        using var tooBig = await client.UploadAsync(new byte[5 * 1024 * 1024]);
        await tooBig.AssertProblemAsync(413, "larger than the 4,194,304 bytes");
        client.DefaultRequestHeaders.ExpectContinue = false;

        await ServesTheWebAppAsync(client);

        using var deleted = await client.DeleteAsync($"/images/{id}");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using var gone = await client.GetAsync($"/images/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    private async Task ServesTheApiOnTheEmbeddedBackendAsync(string publishFolder)
    {
        var data = Directory.CreateTempSubdirectory("published-data-").FullName;
        try
        {
            var port = Loopback.FreePort();
            await using var app = await StartAsync(publishFolder, "ImageService", new Dictionary<string, string>(),
                [$"--urls=http://127.0.0.1:{port}", "--Storage:Provider=Local", $"--Storage:Local:Root={data}"], port, "/health/ready");
            var client = app.Client;

            var health = await (await client.GetAsync("/health/ready")).JsonAsync();
            Assert.Equal("Healthy", health.Str("status"));
            var limits = await (await client.GetAsync("/limits")).JsonAsync();
            Assert.True(limits.GetProperty("max_upload_bytes").GetInt64() > 0);

            var uploaded = await client.UploadOkAsync(TestImages.Jpeg(800, 600));
            var id = uploaded.Str("image_id");
            var listed = JsonDocument.Parse(await client.GetStringAsync("/images?tag=travel")).RootElement;
            Assert.Equal(id, listed[0].Str("image_id"));
            Assert.Contains("travel", listed[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
            var view = await (await client.GetAsync($"/images/{id}")).JsonAsync();
            var original = await client.GetByteArrayAsync(view.Str("url"));
            Assert.Equal(uploaded.Str("sha256"), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(original)));

            using var badMetadata = await client.UploadAsync(TestImages.Jpeg(64, 64), "{not json");
            await badMetadata.AssertProblemAsync(400, "metadata");
            using var notAnImage = await client.UploadAsync("just text"u8.ToArray());
            await notAnImage.AssertProblemAsync(415, "Accepted formats");

            await ServesTheWebAppAsync(client);

            using var deleted = await client.DeleteAsync($"/images/{id}");
            Assert.Equal("Image deleted successfully", (await deleted.JsonAsync()).Str("message"));
            Assert.Equal("[]", (await client.GetStringAsync("/images")).Trim());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The budget for the app's own code and styles on the first view, compressed.</summary>
    private const long FirstViewBudgetBytes = 150 * 1024;

    /// <summary>
    /// The web app from the publish: the page at / with its policy, and every file its first view loads (the page names
    /// them all, with the modules in its import map) compressed and cached for good, together within the budget. Sizes as
    /// a browser gets them over https (Brotli) and over plain http (gzip: Chromium asks for Brotli on https only).
    /// </summary>
    private async Task ServesTheWebAppAsync(HttpClient client)
    {
        using var page = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("default-src 'none'; script-src 'self' 'sha256-", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        var assets = System.Text.RegularExpressions.Regex.Matches(html, "\"(/[A-Za-z0-9_./-]+\\.[a-z0-9]{6,}\\.(?:js|css|svg))\"")
            .Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains(assets, a => a.StartsWith("/js/app.", StringComparison.Ordinal));
        Assert.True(assets.Count(a => a.EndsWith(".js", StringComparison.Ordinal)) >= 8, string.Join(", ", assets));

        var config = await (await client.GetAsync("/app/config")).JsonAsync();
        Assert.False(string.IsNullOrEmpty(config.Str("auth_mode")));

        long pageBytes = System.Text.Encoding.UTF8.GetByteCount(html);
        foreach (var encoding in new[] { "br", "gzip" })
        {
            long sent = pageBytes;
            foreach (var asset in assets)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, asset);
                request.Headers.TryAddWithoutValidation("Accept-Encoding", encoding);
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(encoding, response.Content.Headers.ContentEncoding.Single());
                Assert.Contains("immutable", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
                sent += (await response.Content.ReadAsByteArrayAsync()).Length;
            }

            output.WriteLine($"web app first view over {encoding}: {sent:N0} bytes (the page uncompressed, {assets.Count} files compressed; budget {FirstViewBudgetBytes:N0})");
            Assert.True(sent <= FirstViewBudgetBytes, $"{sent:N0} bytes over {encoding}");
        }
    }

    private async Task<RunningApp> StartAsync(string folder, string executable, Dictionary<string, string> environment, string[] arguments, int port, string readinessPath)
    {
        var start = new ProcessStartInfo(Path.Combine(folder, executable), arguments)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var clock = Stopwatch.StartNew();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) { output.WriteLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) { output.WriteLine(line.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await Loopback.WaitUntilReadyAsync(client, readinessPath, process, TimeSpan.FromSeconds(30));
        output.WriteLine($"{executable} ready after {clock.ElapsedMilliseconds} ms");
        return new RunningApp(process, client);
    }

    private sealed record RunningApp(Process Process, HttpClient Client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            Process.Dispose();
        }
    }

    private static async Task RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} failed:\n{await stdout}\n{await stderr}");
    }
}
