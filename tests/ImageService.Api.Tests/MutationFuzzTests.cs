using System.Diagnostics;
using System.Net;
using ImageService.Testing;
using Xunit.Abstractions;

namespace ImageService.Api.Tests;

/// <summary>
/// Randomly corrupted variants of valid images, posted for a bounded time: every answer is 201 or a 4xx
/// problem, never a 5xx; the service stays ready; memory stays bounded. The seed is printed so a failure
/// can be replayed.
/// </summary>
public sealed class MutationFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);
    private const int MaxCases = 3000;

    [Fact]
    public async Task Corrupted_images_get_201_or_a_4xx_and_the_service_stays_healthy()
    {
        using var service = new ServiceFactory(new() { ["RateLimits:UploadsPerMinutePerAddress"] = "100000" });
        using var client = service.CreateClient();
        byte[][] seeds =
        [
            TestImages.Jpeg(96, 64), TestImages.NoisyJpeg(64, 64), TestImages.Png(80, 60), TestImages.PngWithAlpha(64, 48),
            TestImages.WebP(64, 64), TestImages.Gif(48, 32), TestImages.Avif(48, 32), TestImages.JpegWithOrientationAndGps(),
        ];
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var statuses = new Dictionary<int, int>();
        var clock = Stopwatch.StartNew();
        var startMemory = CurrentMemory();
        var cases = 0;

        while (clock.Elapsed < Budget && cases < MaxCases)
        {
            var mutated = Mutate(seeds[random.Next(seeds.Length)], random);
            using var response = await client.UploadAsync(mutated, """{"user_id":"fuzz"}""");
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status == 201 || (status >= 400 && status < 500),
                $"case {cases} (seed {seed}) answered {status}: {await response.Content.ReadAsStringAsync()}");
            if (status != 201)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }

            cases++;
        }

        using var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var grown = CurrentMemory() - startMemory;
        output.WriteLine($"{cases} cases in {clock.Elapsed.TotalSeconds:F1} s: "
                         + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))
                         + $"; managed+native memory grew {grown / (1024 * 1024)} MiB");
        Assert.True(cases >= 200, $"only {cases} cases ran");
        Assert.True(statuses.GetValueOrDefault(201) > 0 && statuses.Keys.Any(s => s >= 400), "the mutations should both pass and fail");
        Assert.True(grown < 512L * 1024 * 1024, $"memory grew by {grown / (1024 * 1024)} MiB");
    }

    private static long CurrentMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = original.ToList();
        var edits = random.Next(1, 6);
        for (var edit = 0; edit < edits && bytes.Count > 8; edit++)
        {
            // Keep the first bytes mostly intact so most cases reach the decoders rather than the sniffer.
            var at = random.Next(random.Next(2) == 0 ? 0 : Math.Min(16, bytes.Count - 1), bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 3:
                    bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 64)).Select(_ => (byte)random.Next(256)));
                    break;
                case 4:
                    var length = Math.Min(random.Next(1, 256), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                default:
                    var zeros = Math.Min(random.Next(1, 128), bytes.Count - at);
                    for (var i = 0; i < zeros; i++)
                    {
                        bytes[at + i] = 0;
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
