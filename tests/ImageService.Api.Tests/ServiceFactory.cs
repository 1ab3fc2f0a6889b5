using System.Net.Http.Headers;
using System.Text.Json;
using ImageService.Core.Ports;
using ImageService.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageService.Api.Tests;

/// <summary>The real service in memory, on a fresh backend (a temporary folder, or a new bucket and table on the
/// emulators), with a clock the test controls.</summary>
public sealed class ServiceFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;
    private readonly Action<IServiceCollection>? services;

    public ServiceFactory(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        Root = Directory.CreateTempSubdirectory("image-service-api-").FullName;
        UploadTemp = Path.Combine(Root, "uploads-tmp");
        this.settings = new Dictionary<string, string?>
        {
            ["Storage:Local:Root"] = Path.Combine(Root, "data"),
            ["Uploads:TempFolder"] = UploadTemp,
        };
        foreach (var (key, value) in settings ?? [])
        {
            this.settings[key] = value;
        }

        this.services = services;
    }

    /// <summary>Starts the service on the given backend, with extra settings and service overrides.</summary>
    public static async Task<ServiceFactory> StartAsync(
        Backend backend, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var merged = await backend.SettingsAsync();
        foreach (var (key, value) in settings ?? [])
        {
            merged[key] = value;
        }

        return new ServiceFactory(merged, services);
    }

    public string Root { get; }

    public string UploadTemp { get; }

    public string DataRoot => Path.Combine(Root, "data");

    public ManualClock Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>Every file left anywhere the service writes locally, other than the index database and the signing key.</summary>
    public IReadOnlyList<string> StoredFiles() =>
        [.. new[] { Path.Combine(DataRoot, "blobs"), Path.Combine(DataRoot, "staging"), UploadTemp }
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))];

    /// <summary>Every blob in the service's store (a folder or a bucket) and every staged upload file left behind.</summary>
    public async Task<IReadOnlyList<string>> LeftoversAsync()
    {
        var found = await Services.GetRequiredService<IBlobStore>().AllKeysAsync();
        var staged = new[] { Path.Combine(DataRoot, "staging"), UploadTemp }
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories));
        return [.. found, .. staged];
    }

    /// <summary>Fetches a download link: through the in-memory server for the app's own links, over the network for S3's.</summary>
    public Task<HttpResponseMessage> DownloadAsync(HttpClient client, string url) =>
        url.StartsWith(client.BaseAddress!.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal)
            ? client.GetAsync(url)
            : Network.GetAsync(url);

    public async Task<byte[]> DownloadBytesAsync(HttpClient client, string url)
    {
        using var response = await DownloadAsync(client, url);
        Assert.True(response.IsSuccessStatusCode, $"download of {url} answered {(int)response.StatusCode}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static readonly HttpClient Network = new();

    private readonly ErrorLog errors = new();

    /// <summary>Every error the service has logged, with its exception.</summary>
    public IEnumerable<string> LoggedErrors => errors.Entries;

    /// <summary>Starts the service expecting it to refuse, and answers what an operator would read: the exception
    /// and the errors the host logged. Both, because when the start fails the test host can lose the race to its own
    /// disposal and throw <see cref="ObjectDisposedException"/> in place of the real failure, which it has logged.</summary>
    public string StartFailure()
    {
        var error = Assert.ThrowsAny<Exception>(() => CreateClient());
        return string.Join('\n', [error.ToString(), .. errors.Entries]);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(errors));
        builder.ConfigureServices(collection =>
        {
            collection.AddSingleton<TimeProvider>(Clock);
            services?.Invoke(collection);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}

/// <summary>Keeps every error the service logs, with its exception.</summary>
internal sealed class ErrorLog : ILoggerProvider, ILogger
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> entries = new();

    public IEnumerable<string> Entries => entries;

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            entries.Enqueue($"{formatter(state, exception)}\n{exception}");
        }
    }

    public void Dispose()
    {
    }
}

/// <summary>Client-side helpers: build the upload form the way curl -F does, read JSON and problems.</summary>
public static class Api
{
    public const string DefaultMetadata = """{"user_id":"123","caption":"Beach vibes #sunset","tags":["travel","beach"]}""";

    public static Task<HttpResponseMessage> UploadAsync(this HttpClient client, byte[] file, string? metadata = DefaultMetadata, string fileName = "photo.jpg")
    {
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(content, "file", fileName);
        if (metadata is not null)
        {
            form.Add(new StringContent(metadata), "metadata");
        }

        return client.PostAsync("/images", form);
    }

    /// <summary>An upload with an <c>Idempotency-Key</c> header.</summary>
    public static Task<HttpResponseMessage> UploadWithKeyAsync(this HttpClient client, byte[] file, string idempotencyKey)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(file), "file", "a.jpg" }, { new StringContent(DefaultMetadata), "metadata" } };
        var request = new HttpRequestMessage(HttpMethod.Post, "/images") { Content = form };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    /// <summary>How many images <c>GET /images</c> lists.</summary>
    public static async Task<int> CountAsync(this HttpClient client) => (await client.ListIdsAsync("/images")).Count;

    public static async Task<JsonElement> UploadOkAsync(this HttpClient client, byte[] file, string metadata = DefaultMetadata)
    {
        using var response = await client.UploadAsync(file, metadata);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>Asserts an RFC 9457 problem with the given status and a detail that contains the given text.</summary>
    public static async Task<string> AssertProblemAsync(this HttpResponseMessage response, int status, string detailContains)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(detailContains, detail, StringComparison.Ordinal);
        Assert.True(problem.TryGetProperty("trace_id", out _), "a problem carries a trace_id to quote");
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        return detail;
    }

    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;

    /// <summary>The image ids a list URL answers with, in order.</summary>
    public static async Task<List<string>> ListIdsAsync(this HttpClient client, string url) =>
        [.. JsonDocument.Parse(await client.GetStringAsync(url)).RootElement.EnumerateArray().Select(i => i.Str("image_id"))];
}
