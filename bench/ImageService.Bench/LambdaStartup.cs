using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using ImageService.Testing.Aws;

namespace ImageService.Bench;

/// <summary>
/// Section 5's Lambda-mode rows: the published app started the way the Lambda Web Adapter starts it — the template's
/// handler and function environment (AWS engine) for the package's choice, against s3rver and dynalite — timed to the
/// first 200 of the template's readiness path, beside the empty app started the same way, one after the other in each
/// round; then the first <c>POST /images</c> after start and warm ones on the same process.
/// </summary>
internal static class LambdaStartup
{
    public const int WarmUploads = 5;

    public sealed record Result(StartupBenchmark.Run Service, StartupBenchmark.Run Floor, double FirstUploadMs, double WarmUploadMs);

    public static async Task<Result> MeasureAsync(
        string serviceFolder, string floorFolder, PublishKind kind, AwsEmulators emulators, byte[] photo, int starts)
    {
        var function = LambdaFunction.FromTemplate(new Dictionary<string, string>
        {
            // Anonymous uploads, so that the bench needs no token issuer.
            ["AuthMode"] = "None",
            ["Package"] = kind == PublishKind.NativeAot ? "NativeAot" : "ReadyToRun",
        });
        var environment = function.EnvironmentOn(emulators, await emulators.CreateBucketAsync(), await emulators.CreateTableAsync());
        var service = new List<(double Ms, double RssMiB)>();
        var floor = new List<(double Ms, double RssMiB)>();
        var firstUploads = new List<double>();
        var warmUploads = new List<double>();
        for (var i = 0; i < starts; i++)
        {
            await using (var app = await ServiceProcess.StartAsync(serviceFolder, function.Handler, environment, function.ReadinessPath))
            {
                service.Add((app.StartToReady.TotalMilliseconds, app.MemoryMiB()));
                using var client = new HttpClient { BaseAddress = app.Address };
                firstUploads.Add(await UploadAsync(client, photo));
                for (var warm = 0; warm < WarmUploads; warm++)
                {
                    warmUploads.Add(await UploadAsync(client, photo));
                }
            }

            await using (var empty = await ServiceProcess.StartAsync(floorFolder, "MinimalApi", environment, function.ReadinessPath))
            {
                floor.Add((empty.StartToReady.TotalMilliseconds, empty.MemoryMiB()));
            }
        }

        return new Result(StartupBenchmark.Run.Of(service), StartupBenchmark.Run.Of(floor), Stats.Median(firstUploads), Stats.Median(warmUploads));
    }

    private static async Task<double> UploadAsync(HttpClient client, byte[] photo)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(photo);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(file, "file", "photo.jpg");
        form.Add(new StringContent("""{"user_id":"bench","tags":["startup"]}"""), "metadata");
        var clock = Stopwatch.StartNew();
        using var response = await client.PostAsync(new Uri("images", UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /images answered {(int)response.StatusCode}: {body}");
        }

        return elapsed;
    }
}
