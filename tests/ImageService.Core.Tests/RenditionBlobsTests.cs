using ImageService.Core.Images;
using ImageService.Core.Ports;

namespace ImageService.Core.Tests;

public sealed class RenditionBlobsTests
{
    [Fact]
    public async Task A_refused_rendition_is_reported_only_once_every_other_put_has_ended()
    {
        // The upload cleans up after a failed put by deleting every rendition: a put still running then could store a
        // blob after its deletion, an orphan only the full reconciliation would find.
        var files = Enumerable.Range(0, 3).Select(_ => Path.GetTempFileName()).ToList();
        try
        {
            var store = new OneRefusingStore();
            var renditions = files.Select((file, i) => (file, new StoredVariant($"v{i}", $"images/x/v{i}.webp", "image/webp", 1, 1, 1)));

            var thrown = await Assert.ThrowsAsync<IOException>(() => store.PutAllAsync(renditions, default));

            Assert.Equal("refused v0", thrown.Message);
            Assert.Equal(2, store.Stored);
        }
        finally
        {
            files.ForEach(File.Delete);
        }
    }

    /// <summary>Refuses <c>v0</c> at once and stores the others a little later.</summary>
    private sealed class OneRefusingStore : IBlobStore
    {
        public int Stored;

        public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
        {
            if (key.EndsWith("v0.webp", StringComparison.Ordinal))
            {
                throw new IOException("refused v0");
            }

            await Task.Delay(50, cancellationToken);
            Interlocked.Increment(ref Stored);
        }

        public Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task ProbeAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
