using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace ImageService.Bench;

/// <summary>
/// An upload storm: 64 clients each send one large photograph at the same moment while another client lists
/// images without pause. Run twice against the published service: with the upload queue's default bounds, and with
/// them lifted (as the service behaved before it had them). Prints the peak bytes in the staging folder, the peak
/// resident memory, what the uploads were answered, and the latency of the lists during the storm.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class UploadStormBenchmark
{
    private const int Clients = 64;
    private const long MaxPhotoBytes = 12L * 1024 * 1024;

    // The 64 clients stand for 64 people but share one address: neither the per-address rate limit nor the per-client
    // share of the queue applies to them.
    private static readonly string[] Unlimited = ["--RateLimits:UploadsPerMinutePerAddress=100000", "--Uploads:MaxInFlightPerClient=10000"];

    private static readonly string[] Unbounded =
        [.. Unlimited, "--Uploads:MaxInFlight=10000", "--Uploads:MaxStagedBytes=1099511627776", "--Uploads:QueueTimeoutSeconds=3600"];

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        // The largest real photograph up to 12 MB: the "10 MB photo" of a phone camera.
        var photo = Directory.EnumerateFiles(options.Photos, "*.jpg").Select(path => new FileInfo(path))
            .Where(file => file.Length <= MaxPhotoBytes).MaxBy(file => file.Length)
            ?? throw new InvalidOperationException($"No JPEG of at most {MaxPhotoBytes:N0} bytes in {options.Photos}.");
        var body = await File.ReadAllBytesAsync(photo.FullName);
        var publish = await ServiceProcess.PublishAsync(options);
        var rows = new StringBuilder(
            "| Bounds | Uploads answered 201 / 503 / other | Peak staged | Peak RSS (VmHWM) | Lists during the storm | List p50 | List p99 | Storm wall time |\n"
            + "|---|---:|---:|---:|---:|---:|---:|---:|\n");
        var p99 = new Dictionary<string, double>();
        foreach (var (name, settings) in new[] { ("defaults (16 in flight, 256 MiB, 20 s)", Unlimited), ("lifted (as before the queue)", Unbounded) })
        {
            var staging = Path.Combine(options.Work, "storm-staging");
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await using var service = await ServiceProcess.StartAsync(publish, Path.Combine(options.Work, "storm-data"),
                settings: [.. settings, $"--Uploads:TempFolder={staging}"]);
            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Clients + 1 })
            {
                BaseAddress = service.Address, Timeout = TimeSpan.FromMinutes(10),
            };

            // Warm-up: one upload and a few lists, so neither the JIT nor the first SQLite open is measured.
            await UploadAsync(client, body);
            for (var i = 0; i < 10; i++)
            {
                using var warm = await client.GetAsync(new Uri("images?limit=20", UriKind.Relative));
            }

            using var done = new CancellationTokenSource();
            long peakStaged = 0;
            var sampler = Task.Run(async () =>
            {
                while (!done.IsCancellationRequested)
                {
                    peakStaged = Math.Max(peakStaged, Directory.EnumerateFiles(staging).Sum(SizeOf));
                    await Task.Delay(10);
                }
            });
            var lists = new List<double>();
            var lister = Task.Run(async () =>
            {
                while (!done.IsCancellationRequested)
                {
                    var clock = Stopwatch.StartNew();
                    using var response = await client.GetAsync(new Uri("images?limit=20", UriKind.Relative));
                    response.EnsureSuccessStatusCode();
                    lists.Add(clock.Elapsed.TotalMilliseconds);
                }
            });

            var wall = Stopwatch.StartNew();
            var statuses = await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(() => UploadAsync(client, body))));
            var seconds = wall.Elapsed.TotalSeconds;
            await done.CancelAsync();
            await Task.WhenAll(sampler, lister);

            var created = statuses.Count(s => s == HttpStatusCode.Created);
            var busy = statuses.Count(s => s == HttpStatusCode.ServiceUnavailable);
            p99[name] = Stats.Percentile(lists, 99);
            rows.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {created} / {busy} / {Clients - created - busy} | {peakStaged / 1048576.0:F0} MiB | {service.MemoryMiB("VmHWM"):F0} MiB | {lists.Count} | {Stats.Median(lists):F0} ms | {p99[name]:F0} ms | {seconds:F1} s |");
            Console.WriteLine($"storm: {name}: {created} created, {busy} busy, staged peak {peakStaged / 1048576.0:F0} MiB, list p99 {p99[name]:F0} ms");
        }

        var bounded = p99.First().Value;
        report.Add(string.Create(CultureInfo.InvariantCulture, $"""
            ## 7. Upload storm

            {Clients} clients each send {photo.Name} ({photo.Length / 1048576.0:F1} MiB, a real photograph) to the published
            service (embedded backend) at the same moment, while one more client sends `GET /images?limit=20` back to back
            until the storm is over. Peak staged is the largest total size of the files in the staging folder, sampled every
            10 ms; peak RSS is the service's VmHWM. Run once with the upload queue's default bounds, and once with them lifted.
            The clients stand for 64 people but share one address, so both runs lift `Uploads:MaxInFlightPerClient`.

            {rows}
            | Target | Measured | Met |
            |---|---:|---|
            | list p99 during the storm under 250 ms (default bounds) | {bounded:F0} ms | {(bounded < 250 ? "yes" : "**no**")} |
            """));
    }

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0; // deleted as we looked
        }
    }

    private static async Task<HttpStatusCode> UploadAsync(HttpClient client, byte[] body)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(body);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(file, "file", "storm.jpg");
        form.Add(new StringContent("""{"user_id":"storm","tags":["storm"]}""", Encoding.UTF8, "application/json"), "metadata");
        try
        {
            using var response = await client.PostAsync(new Uri("images", UriKind.Relative), form);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0; // the connection was closed: counted as "other"
        }
    }
}
