using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ImageService.Core.Ports;

namespace ImageService.Core.Tests.Fakes;

/// <summary>Blobs in a dictionary, with fault points <c>blobs.put</c> and <c>blobs.delete</c>.</summary>
public sealed class InMemoryBlobStore(Faults faults) : IBlobStore
{
    private readonly ConcurrentDictionary<string, byte[]> blobs = new();

    public IReadOnlyCollection<string> Keys => [.. blobs.Keys];

    public Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken) =>
        faults.RunAsync("blobs.put", async () =>
        {
            using var copy = new MemoryStream();
            await content.CopyToAsync(copy, cancellationToken);
            blobs[key] = copy.ToArray();
        });

    public Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(blobs.TryGetValue(key, out var bytes)
            ? new BlobContent(new MemoryStream(bytes), bytes.Length, DateTimeOffset.UnixEpoch, "\"etag\"")
            : null);

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) =>
        faults.RunAsync("blobs.delete", () => Task.FromResult(blobs.TryRemove(key, out _)));

    public async IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        foreach (var key in blobs.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && (startAfter is null || string.CompareOrdinal(k, startAfter) > 0)).Order(StringComparer.Ordinal))
        {
            yield return key;
        }
    }

    public Task ProbeAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
