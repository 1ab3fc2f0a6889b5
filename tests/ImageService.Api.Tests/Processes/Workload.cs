using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using ImageService.Testing;

namespace ImageService.Api.Tests.Processes;

/// <summary>
/// Clients that upload, list, view (and download) and delete at random against a running service, remembering
/// what the service acknowledged: uploads answered 201 and deletes answered 200.
/// </summary>
public sealed class Workload(Uri address, int seed)
{
    private static readonly HttpClient Downloads = new();

    public ConcurrentDictionary<string, string> Uploaded { get; } = new();

    public ConcurrentDictionary<string, bool> Deleted { get; } = new();

    /// <summary>Every image a delete was sent for, answered or not: a crash may cut a delete off after it took effect.</summary>
    public ConcurrentDictionary<string, bool> DeleteAttempted { get; } = new();

    public ConcurrentQueue<string> ServerErrors { get; } = new();

    public int Requests => requests;

    private int requests;

    /// <summary>Runs <paramref name="clients"/> clients until <paramref name="stop"/> fires. With <paramref name="crashExpected"/>,
    /// failures to reach the service are not counted as errors.</summary>
    public Task RunAsync(int clients, bool crashExpected, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(() => ClientAsync(seed + client, crashExpected, stop))));

    private async Task ClientAsync(int clientSeed, bool crashExpected, CancellationToken stop)
    {
        var random = new Random(clientSeed);
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var roll = random.Next(100);
                await (roll switch
                {
                    < 40 => UploadAsync(http, random),
                    < 70 => ListAsync(http, random),
                    < 90 => ViewAsync(http, random),
                    _ => DeleteAsync(http, random),
                });
                Interlocked.Increment(ref requests);
            }
            catch (Exception e) when (crashExpected && e is HttpRequestException or TaskCanceledException or IOException or JsonException)
            {
                await Task.Delay(50, CancellationToken.None);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or JsonException)
            {
                ServerErrors.Enqueue($"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    private async Task UploadAsync(HttpClient http, Random random)
    {
        var image = TestImages.Jpeg(random.Next(64, 320), random.Next(64, 320), [random.Next(256), random.Next(256), random.Next(256)]);
        using var response = await http.UploadAsync(image, $$"""{"user_id":"load{{random.Next(4)}}","tags":["load","t{{random.Next(3)}}"]}""");
        if (Check(response, HttpStatusCode.Created))
        {
            var body = await response.JsonAsync();
            Uploaded[body.Str("image_id")] = body.Str("sha256");
        }
    }

    private async Task ListAsync(HttpClient http, Random random)
    {
        var filters = new[] { "/images?limit=10", "/images?tag=load&limit=5", $"/images?user_id=load{random.Next(4)}", "/images?user_id=load1&tag=t2" };
        using var response = await http.GetAsync(filters[random.Next(filters.Length)]);
        Check(response, HttpStatusCode.OK);
    }

    private async Task ViewAsync(HttpClient http, Random random)
    {
        var id = Pick(random);
        if (id is null)
        {
            return;
        }

        using var response = await http.GetAsync($"/images/{id}");
        // A concurrent delete may have removed it: 404 is the client's lot, not an error.
        if (response.StatusCode == HttpStatusCode.NotFound || !Check(response, HttpStatusCode.OK))
        {
            return;
        }

        var url = (await response.JsonAsync()).Str("url");
        using var download = await Downloads.GetAsync(url);
        if (download.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        if (Check(download, HttpStatusCode.OK))
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(await download.Content.ReadAsByteArrayAsync()));
            if (hash != Uploaded[id])
            {
                ServerErrors.Enqueue($"bytes of {id} do not match the hash recorded at upload");
            }
        }
    }

    private async Task DeleteAsync(HttpClient http, Random random)
    {
        var id = Pick(random);
        if (id is null || Deleted.ContainsKey(id))
        {
            return;
        }

        DeleteAttempted[id] = true;
        using var response = await http.DeleteAsync($"/images/{id}");
        if (response.StatusCode == HttpStatusCode.OK)
        {
            Deleted[id] = true;
        }
        else if (response.StatusCode != HttpStatusCode.NotFound)
        {
            Check(response, HttpStatusCode.OK);
        }
    }

    private string? Pick(Random random)
    {
        var ids = Uploaded.Keys.ToArray();
        return ids.Length == 0 ? null : ids[random.Next(ids.Length)];
    }

    private bool Check(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode == expected)
        {
            return true;
        }

        ServerErrors.Enqueue($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}");
        return false;
    }
}
