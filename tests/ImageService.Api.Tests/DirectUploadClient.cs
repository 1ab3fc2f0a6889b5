using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ImageService.Core.Ports;
using ImageService.Core.Uploads;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>The direct-upload flow as a client runs it: start, post the form to wherever it points, complete.</summary>
internal static class DirectUploadClient
{
    private static readonly HttpClient Network = new();

    /// <summary>POST /uploads for <paramref name="file"/>: its size and JPEG type, the default metadata, and its SHA-256 when asked.</summary>
    public static Task<HttpResponseMessage> StartAsync(
        this HttpClient client, byte[] file, bool withSha256 = false, string contentType = "image/jpeg", long? sizeBytes = null, string userId = "123")
    {
        var body = new Dictionary<string, object?>
        {
            ["user_id"] = userId,
            ["caption"] = "Beach vibes #sunset",
            ["tags"] = new[] { "travel", "beach" },
            ["size_bytes"] = sizeBytes ?? file.LongLength,
            ["content_type"] = contentType,
            ["sha256"] = withSha256 ? Convert.ToHexStringLower(SHA256.HashData(file)) : null,
        };
        return client.PostAsJsonAsync("/uploads", body);
    }

    public static async Task<JsonElement> StartOkAsync(this HttpClient client, byte[] file, bool withSha256 = false, string userId = "123")
    {
        using var response = await client.StartAsync(file, withSha256, userId: userId);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    /// <summary>Posts the form's fields, then the file, to the form's url: the service itself, or S3 over the network.</summary>
    public static Task<HttpResponseMessage> PostFileAsync(
        this HttpClient client, JsonElement started, byte[] file, Action<Dictionary<string, string>>? tamper = null)
    {
        var fields = started.GetProperty("fields").EnumerateObject().ToDictionary(f => f.Name, f => f.Value.GetString()!);
        tamper?.Invoke(fields);
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value, Encoding.UTF8), name);
        }

        form.Add(new ByteArrayContent(file), "file", "photo.jpg");
        var url = started.Str("url");
        return url.StartsWith(client.BaseAddress!.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal)
            ? client.PostAsync(url, form)
            : Network.PostAsync(url, form);
    }

    public static Task<HttpResponseMessage> CompleteAsync(this HttpClient client, JsonElement started) =>
        client.PostAsync(started.Str("complete_url"), null);

    /// <summary>The whole flow, each step asserted to succeed; the completed image.</summary>
    public static async Task<JsonElement> UploadDirectOkAsync(this HttpClient client, byte[] file, bool withSha256 = false)
    {
        var started = await client.StartOkAsync(file, withSha256);
        using (var posted = await client.PostFileAsync(started, file))
        {
            Assert.True(posted.IsSuccessStatusCode, $"posting the file answered {(int)posted.StatusCode}: {await posted.Content.ReadAsStringAsync()}");
        }

        using var completed = await client.CompleteAsync(started);
        Assert.True(completed.StatusCode == System.Net.HttpStatusCode.Created, await completed.Content.ReadAsStringAsync());
        return await completed.JsonAsync();
    }

    /// <summary>Puts bytes at the upload's raw key straight into the service's store, as a client that got round the
    /// form's policy (or an emulator that checks none) would leave them.</summary>
    public static async Task PutRawAsync(this ServiceFactory service, JsonElement started, byte[] bytes)
    {
        var key = DirectUpload.RawKeyOf(Guid.Parse(started.Str("upload_id")));
        await service.Services.GetRequiredService<IBlobStore>().PutAsync(key, new MemoryStream(bytes), "image/jpeg", CancellationToken.None);
    }
}
