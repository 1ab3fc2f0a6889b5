using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ImageService.Testing;
using ImageService.Testing.Aws;
using Xunit.Abstractions;

namespace ImageService.Api.Tests;

/// <summary>
/// The published app started the way the Lambda Web Adapter starts it: the template's handler executable,
/// its environment (port, readiness path, storage settings, limits), ready when the readiness path answers;
/// then the API driven over HTTP against the emulators.
/// </summary>
[Collection(EmulatorGroup.Name)]
public sealed class LambdaModeSmokeTests(AwsEmulators emulators, ITestOutputHelper output)
{
    [Fact]
    public async Task The_published_app_serves_the_api_with_the_templates_settings()
    {
        var function = DeploymentTemplate.Resource("ImageFunction").GetProperty("Properties");
        var variables = function.GetProperty("Environment").GetProperty("Variables");
        var publishFolder = Directory.CreateTempSubdirectory("lambda-publish-").FullName;
        Process? app = null;
        try
        {
            await RunAsync("dotnet", "publish", Path.Combine(RepositoryPaths.Root, "src", "ImageService"),
                "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-o", publishFolder);

            var start = new ProcessStartInfo(Path.Combine(publishFolder, function.GetProperty("Handler").GetString()!))
            {
                WorkingDirectory = publishFolder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };

            foreach (var variable in variables.EnumerateObject().Where(v => v.Value.ValueKind == JsonValueKind.String))
            {
                start.Environment[variable.Name] = variable.Value.GetString();
            }

            // What CloudFormation would fill in, and what the Lambda runtime provides.
            start.Environment["Storage__Aws__Bucket"] = await emulators.CreateBucketAsync();
            start.Environment["Storage__Aws__Table"] = await emulators.CreateTableAsync();
            start.Environment["Downloads__UrlExpirySeconds"] = DeploymentTemplate.ParameterDefault("UrlExpirySeconds");
            start.Environment["AWS_ENDPOINT_URL_S3"] = emulators.S3Endpoint;
            start.Environment["AWS_ENDPOINT_URL_DYNAMODB"] = emulators.DynamoDbEndpoint;
            start.Environment["AWS_ACCESS_KEY_ID"] = AwsEmulators.AccessKey;
            start.Environment["AWS_SECRET_ACCESS_KEY"] = AwsEmulators.AccessKey;
            start.Environment["AWS_REGION"] = "us-east-1";

            var clock = Stopwatch.StartNew();
            app = Process.Start(start)!;
            app.BeginOutputReadLine();
            app.BeginErrorReadLine();
            var baseUri = new Uri($"http://127.0.0.1:{variables.GetProperty("AWS_LWA_PORT").GetString()}");
            using var client = new HttpClient { BaseAddress = baseUri };
            await Loopback.WaitUntilReadyAsync(client, variables.GetProperty("AWS_LWA_READINESS_CHECK_PATH").GetString()!, app, TimeSpan.FromSeconds(30));
            output.WriteLine($"published app ready after {clock.ElapsedMilliseconds} ms");

            using var ready = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

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

            using var deleted = await client.DeleteAsync($"/images/{id}");
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
            using var gone = await client.GetAsync($"/images/{id}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        finally
        {
            if (app is { HasExited: false })
            {
                app.Kill(entireProcessTree: true);
                await app.WaitForExitAsync();
            }

            app?.Dispose();
            Directory.Delete(publishFolder, recursive: true);
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
