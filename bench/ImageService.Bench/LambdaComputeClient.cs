using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ImageService.Bench;

/// <summary>
/// The user actions of the compute section as a client sends them to the service, each timed at the client from the
/// first byte sent to the whole answer read. Every answer must be the success the action expects, or the run stops.
/// </summary>
public sealed class LambdaComputeClient(Uri address) : IDisposable
{
    public const string UserId = "bench";

    private readonly HttpClient service = new() { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>The direct upload's form goes to S3 (s3rver here), not through the service.</summary>
    private readonly HttpClient storage = new() { Timeout = TimeSpan.FromMinutes(5) };

    /// <summary>POST /images with <paramref name="photo"/> and metadata with two tags.</summary>
    public async Task<(double Ms, JsonElement Image)> UploadAsync(byte[] photo, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(photo);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(file, "file", "photo.jpg");
        form.Add(new StringContent($$"""{"user_id":"{{UserId}}","caption":"Benchmark upload #bench","tags":["bench","travel"]}""", Encoding.UTF8, "application/json"), "metadata");
        return await TimedAsync(() => service.PostAsync(new Uri("images", UriKind.Relative), form, cancellationToken), 201, cancellationToken);
    }

    /// <summary>POST /uploads: the direct upload's start, which answers a signed form for the storage.</summary>
    public Task<(double Ms, JsonElement Started)> StartDirectAsync(byte[] photo, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object>
        {
            ["user_id"] = UserId,
            ["caption"] = "Benchmark direct upload #bench",
            ["tags"] = new[] { "bench", "travel" },
            ["size_bytes"] = photo.LongLength,
            ["content_type"] = "image/jpeg",
        };
        return TimedAsync(() => service.PostAsJsonAsync(new Uri("uploads", UriKind.Relative), body, cancellationToken), 201, cancellationToken);
    }

    /// <summary>The client's form post of the file to the storage, as a browser sends it; not the service's work.</summary>
    public async Task PostToStorageAsync(JsonElement started, byte[] photo, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        foreach (var field in started.GetProperty("fields").EnumerateObject())
        {
            form.Add(new StringContent(field.Value.GetString()!, Encoding.UTF8), field.Name);
        }

        form.Add(new ByteArrayContent(photo), "file", "photo.jpg");
        using var response = await storage.PostAsync(new Uri(started.GetProperty("url").GetString()!), form, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"the form post to storage answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    /// <summary>POST /uploads/{id}/complete: the service reads the file from storage and runs the upload's pipeline.</summary>
    public Task<(double Ms, JsonElement Image)> CompleteDirectAsync(JsonElement started, CancellationToken cancellationToken) =>
        TimedAsync(() => service.PostAsync(new Uri(started.GetProperty("complete_url").GetString()!), null, cancellationToken), 201, cancellationToken);

    public async Task<double> ViewAsync(string imageId, CancellationToken cancellationToken) =>
        (await TimedAsync(() => service.GetAsync(new Uri($"images/{imageId}", UriKind.Relative), cancellationToken), 200, cancellationToken)).Ms;

    /// <summary>GET /images with <paramref name="query"/> ("" or "?user_id=…&amp;cursor=…"); a page with no image would
    /// measure nothing worth having, so it stops the run.</summary>
    public async Task<double> ListAsync(string query, CancellationToken cancellationToken)
    {
        var (ms, page) = await TimedAsync(() => service.GetAsync(new Uri("images" + query, UriKind.Relative), cancellationToken), 200, cancellationToken);
        return page.GetArrayLength() > 0 ? ms : throw new InvalidOperationException($"GET /images{query} answered an empty page");
    }

    /// <summary>PATCH /images/{id} with If-Match <paramref name="version"/>: a new caption and the second tag swapped
    /// for another, so the edit moves two tag edges. Returns the new version.</summary>
    public async Task<(double Ms, long Version)> EditAsync(string imageId, long version, CancellationToken cancellationToken)
    {
        var body = $$"""{"caption":"Benchmark edit {{version}} #bench","tags":["bench","edit{{version % 2}}"]}""";
        var (ms, image) = await TimedAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Patch, new Uri($"images/{imageId}", UriKind.Relative))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/merge-patch+json"),
            };
            request.Headers.TryAddWithoutValidation("If-Match", $"\"v{version}\"");
            return service.SendAsync(request, cancellationToken);
        }, 200, cancellationToken);
        return (ms, image.GetProperty("version").GetInt64());
    }

    public async Task<double> DeleteAsync(string imageId, CancellationToken cancellationToken) =>
        (await TimedAsync(() => service.DeleteAsync(new Uri($"images/{imageId}", UriKind.Relative), cancellationToken), 200, cancellationToken)).Ms;

    private static async Task<(double Ms, JsonElement Body)> TimedAsync(Func<Task<HttpResponseMessage>> send, int expected, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var response = await send();
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var ms = clock.Elapsed.TotalMilliseconds;
        if ((int)response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}, not {expected}: {text}");
        }

        return (ms, JsonDocument.Parse(text).RootElement.Clone());
    }

    public void Dispose()
    {
        service.Dispose();
        storage.Dispose();
    }
}
