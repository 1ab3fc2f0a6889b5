using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using ImageService.Core.Processing;
using ImageService.Imaging;

namespace ImageService.Bench;

/// <summary>
/// End-to-end ingest: POST /images against the published service in its own process (embedded backend), at
/// concurrency 1, 2 and 16, beside the pure-processing rate of the same pipeline in process; then the service's
/// peak memory while 8 and while 32 clients upload a large JPEG at once.
/// </summary>
public static class IngestBenchmark
{
    // Rate limits would refuse a benchmark's worth of uploads from one address, and the upload queue's bounds would
    // refuse the 32 at once of the memory case: this section measures the pipeline, not the admission.
    private static readonly string[] Unlimited =
        ["--RateLimits:UploadsPerMinutePerAddress=100000", "--Uploads:MaxInFlight=10000", "--Uploads:MaxInFlightPerClient=10000", "--Uploads:MaxStagedBytes=1099511627776", "--Uploads:QueueTimeoutSeconds=3600"];

    public static async Task RunAsync(BenchOptions options, Report report)
    {
        var images = BenchImages.Prepare(options);
        var bodies = images.All.Select(File.ReadAllBytes).ToArray();
        var rounds = options.Quick ? 1 : 2;
        var purePerSecond = await PureProcessingRateAsync(images.All, Directory.CreateDirectory(Path.Combine(options.Work, "variants")).FullName, workers: 2, rounds);
        Console.WriteLine($"ingest: pure processing {purePerSecond:F2} images/s with 2 workers");

        var publish = await ServiceProcess.PublishAsync(options);
        var rows = new StringBuilder("| Concurrency | Uploads | Uploads/s | p50 latency | p99 latency | Server CPU / upload |\n|---:|---:|---:|---:|---:|---:|\n");
        var rates = new Dictionary<int, double>();
        PerImageCost perImage;
        await using (var service = await ServiceProcess.StartAsync(publish, Path.Combine(options.Work, "ingest-data"), settings: Unlimited))
        {
            using var client = Client(service);
            // Warm-up, as for the pure-processing rate: every image once, so tiered JIT has settled before anything is timed.
            await RunClientsAsync(client, bodies, 1, bodies.Length);
            foreach (var concurrency in options.Smoke ? [1, 2] : new[] { 1, 2, 16 })
            {
                var count = bodies.Length * rounds * Math.Max(1, concurrency / 4);
                var cpuBefore = service.CpuSeconds();
                var (seconds, latencies) = await RunClientsAsync(client, bodies, concurrency, count);
                var cpuPerUpload = (service.CpuSeconds() - cpuBefore) / count;
                rates[concurrency] = count / seconds;
                rows.AppendLine(CultureInfo.InvariantCulture,
                    $"| {concurrency} | {count} | {count / seconds:F2} | {Stats.Median(latencies):F0} ms | {Stats.Percentile(latencies, 99):F0} ms | {cpuPerUpload:F3} s |");
                Console.WriteLine($"ingest: concurrency {concurrency}: {count / seconds:F2} uploads/s");
            }

            perImage = await PerImageAsync(options, service, client, images.All, bodies);
        }

        var memory = new StringBuilder("| Concurrent uploads | In-memory budget | RSS when ready | Peak RSS (VmHWM) | Wall time |\n|---:|---|---:|---:|---:|\n");
        var peaks = new Dictionary<int, double>();
        var large = await File.ReadAllBytesAsync(images.Large);
        var (few, many) = options.Smoke ? (2, 4) : (8, 32);
        // The default settings at both concurrencies (the targets), then the many with the Lambda template's processing
        // settings (a bigger budget, one image at a time), which hold this upload in memory.
        foreach (var (concurrency, budget) in new[] { (few, (long?)null), (many, null), (many, LambdaBudget) })
        {
            string[] settings = budget is { } bytes ? [.. Unlimited, $"--Processing:InMemoryDecodeBytes={bytes}", "--Processing:MaxConcurrentImages=1"] : Unlimited;
            await using var service = await ServiceProcess.StartAsync(publish, Path.Combine(options.Work, "memory-data"), settings: settings);
            using var client = Client(service);
            var ready = service.MemoryMiB();
            var (seconds, _) = await RunClientsAsync(client, [large], concurrency, concurrency);
            var peak = service.MemoryMiB("VmHWM");
            if (budget is null)
            {
                peaks[concurrency] = peak;
            }

            var described = budget is { } raised ? $"{raised >> 20} MiB, one image at a time (as on Lambda)" : $"{new ProcessingOptions().InMemoryDecodeBytes >> 20} MiB (default)";
            memory.AppendLine(CultureInfo.InvariantCulture, $"| {concurrency} | {described} | {ready:F0} MiB | {peak:F0} MiB | {seconds:F1} s |");
            Console.WriteLine($"memory: {concurrency} concurrent uploads, budget {described}, peak {peak:F0} MiB");
        }

        var ingestRatio = rates[2] / purePerSecond;
        var memoryRatio = peaks[many] / peaks[few];
        report.Add(string.Create(CultureInfo.InvariantCulture, $"""
            ## 2. End-to-end ingest

            `POST /images` over loopback HTTP against the published service (linux-x64, self-contained, trimmed, composite ReadyToRun,
            embedded backend: files + SQLite) running in its own process with its default settings (2 images processed at a
            time, 2 libvips threads). Each upload sends one of the {bodies.Length} images of section 1 with metadata; the
            clients send the set {rounds} time(s) over (×concurrency/4 at 16) to one service process, after
            uploading every image once to warm it up (the pure-processing rate below is warmed up the same way). Latency is the
            client's, from the first byte sent to the answer; server CPU is the service process's user + system time
            from /proc, divided by the uploads.

            {rows}
            The pure-processing rate is `VipsImageProcessor.ProcessAsync` in process (variants written to files, as in the service), 2 workers, same images and rounds,
            same settings: {purePerSecond:F2} images/s.

            | Target | Measured | Met |
            |---|---:|---|
            | ingest at concurrency 2 ≥ 0.8 × pure processing | {ingestRatio:F2} × ({rates[2]:F2} vs {purePerSecond:F2} /s) | {(ingestRatio >= 0.8 ? "yes" : "**no**")} |

            {perImage.Markdown()}

            ## 3. Memory under concurrent uploads

            Peak resident memory (VmHWM) of a freshly started service while N clients upload
            {BenchImages.Describe(images.Large)} at the same moment. Request bodies stream to staging files; a gate
            lets 2 images into libvips at a time; the rest wait on disk. {LargeInBudget(images.Large)}

            {memory}
            | Target | Measured | Met |
            |---|---:|---|
            | peak with {many} ≤ 1.3 × peak with {few} | {memoryRatio:F2} × | {(memoryRatio <= 1.3 ? "yes" : "**no**")} |
            | peak with {many} under 400 MB (issue 15; was 600) | {peaks[many] * 1.048576:F0} MB | {(peaks[many] * 1.048576 < 400 ? "yes" : "**no**")} |
            """));
    }

    /// <summary>
    /// Image by image, one upload at a time: the CPU of a whole POST /images in the service process, then the peers'
    /// pure processing of the same image (Pillow and sharp), then the service's pipeline alone in this process.
    /// </summary>
    private static async Task<PerImageCost> PerImageAsync(BenchOptions options, ServiceProcess service, HttpClient client, IReadOnlyList<string> images, byte[][] bodies)
    {
        var uploads = options.Smoke ? 2 : options.Quick ? 3 : 6;
        var pipeline = new VipsImageProcessor(new UploadLimits(), new ProcessingOptions { VipsConcurrency = 1 });
        var variants = Directory.CreateDirectory(Path.Combine(options.Work, "variants")).FullName;
        var rows = new List<PerImageCost.Row>();
        var pillowVersion = "";
        for (var i = 0; i < images.Count; i++)
        {
            // /proc counts CPU in clock ticks (10 ms): one reading around several uploads keeps that error small.
            var before = service.CpuSeconds();
            await RunClientsAsync(client, [bodies[i]], 1, uploads);
            var upload = (service.CpuSeconds() - before) / uploads;
            var (version, pillow) = await PillowPeer.RunAsync(options, [images[i]], options.Repeats, CancellationToken.None);
            pillowVersion = version;
            var sharp = (await ProcessingBenchmark.SharpAsync(options, [images[i]]))[0];
            var alone = Stats.Median(await ProcessingBenchmark.RepeatAsync(options.Repeats, () => pipeline.ProcessAsync(images[i], variants, default)));
            rows.Add(new PerImageCost.Row(Path.GetFileName(images[i]), upload, alone, pillow[images[i]].CpuMs / 1000, sharp));
            Console.WriteLine($"ingest: {Path.GetFileName(images[i])}: upload {upload:F3} s CPU, Pillow {pillow[images[i]].CpuMs / 1000:F3}, sharp {sharp:F3}");
        }

        return new PerImageCost(rows, uploads, options.Repeats, pillowVersion, ProcessingBenchmark.SharpVersion(options));
    }

    private static async Task<double> PureProcessingRateAsync(IReadOnlyList<string> images, string variants, int workers, int rounds)
    {
        var processor = new VipsImageProcessor(new UploadLimits(), new ProcessingOptions { VipsConcurrency = workers });
        foreach (var image in images)
        {
            (await processor.ProcessAsync(image, variants, default)).Dispose(); // warm-up: every image once
        }

        var work = Enumerable.Range(0, rounds).SelectMany(_ => images).ToArray();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = workers }, async (image, cancellation) =>
            (await processor.ProcessAsync(image, variants, cancellation)).Dispose());
        return work.Length / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The in-memory budget deploy/template.yaml gives the Lambda function (one image at a time).</summary>
    private const long LambdaBudget = 256L << 20;

    /// <summary>What the in-memory budget does with the memory case's upload, from its header as the service reads it.</summary>
    private static string LargeInBudget(string path)
    {
        using var header = NetVips.Image.NewFromFile(path);
        var decoded = (long)header.Width * header.Height * 3;
        var budget = new ProcessingOptions().InMemoryDecodeBytes;
        var withDefault = decoded <= budget
            ? string.Create(CultureInfo.InvariantCulture, $"Decoded, it takes {decoded / 1048576.0:F0} MiB of the default in-memory budget ({budget >> 20} MiB): of the 2 in libvips, one at a time is decoded once into memory and the other streams.")
            : string.Create(CultureInfo.InvariantCulture, $"Decoded, it would take {decoded / 1048576.0:F0} MiB, more than the default in-memory budget ({budget >> 20} MiB): with the default, every one streams.");
        return string.Create(CultureInfo.InvariantCulture,
            $"{withDefault} The last row is configured as deploy/template.yaml configures Lambda: a budget of {LambdaBudget >> 20} MiB and one image in libvips at a time, which is then decoded once into memory: what holding a photograph this big costs.");
    }

    private static HttpClient Client(ServiceProcess service) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = service.Address, Timeout = TimeSpan.FromMinutes(10) };

    /// <summary><paramref name="concurrency"/> clients take uploads from a shared counter until <paramref name="count"/> are done.</summary>
    private static async Task<(double Seconds, List<double> LatenciesMs)> RunClientsAsync(HttpClient client, byte[][] bodies, int concurrency, int count)
    {
        var next = -1;
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var milliseconds = await UploadAsync(client, bodies[i % bodies.Length]);
                lock (latencies)
                {
                    latencies.Add(milliseconds);
                }
            }
        })));
        return (clock.Elapsed.TotalSeconds, latencies);
    }

    private static async Task<double> UploadAsync(HttpClient client, byte[] body)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(body);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", "upload.jpg");
        form.Add(new StringContent("""{"user_id":"bench","caption":"benchmark upload #bench","tags":["bench"]}""", Encoding.UTF8, "application/json"), "metadata");
        var clock = Stopwatch.StartNew();
        using var response = await client.PostAsync(new Uri("images", UriKind.Relative), form);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"upload answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return elapsed;
    }
}
