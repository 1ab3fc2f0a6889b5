using ImageService.Core.Images;
using ImageService.Core.Ports;

namespace ImageService.Core.Tests;

public sealed class RenditionBlobsTests
{
    [Fact]
    public async Task A_refused_rendition_stops_the_others_and_its_own_failure_is_the_one_reported()
    {
        var files = Enumerable.Range(0, 3).Select(_ => Path.GetTempFileName()).ToList();
        try
        {
            var store = new OneRefusingStore();
            var renditions = files.Select((file, i) => (file, new StoredVariant($"v{i}", $"images/x/v{i}.webp", "image/webp", 1, 1, 1)));

            var thrown = await Assert.ThrowsAsync<IOException>(() => store.PutAllAsync(renditions, default));

            Assert.Equal("refused v2", thrown.Message);
            // The two slow puts were under way and were told to stop rather than run to their end.
            Assert.Equal(2, store.Cancelled);
        }
        finally
        {
            files.ForEach(File.Delete);
        }
    }

    /// <summary>Puts that wait until cancelled, but the one of <c>v2</c>, which is refused once the others have started.</summary>
    private sealed class OneRefusingStore : IBlobStore
    {
        private readonly TaskCompletionSource bothWaiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int waiting;

        public int Cancelled;

        public async Task PutAsync(string key, Stream content, string contentType, CancellationToken cancellationToken)
        {
            if (key.EndsWith("v2.webp", StringComparison.Ordinal))
            {
                await bothWaiting.Task;
                throw new IOException("refused v2");
            }

            try
            {
                if (Interlocked.Increment(ref waiting) == 2)
                {
                    bothWaiting.SetResult();
                }

                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref Cancelled);
                throw;
            }
        }

        public Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<string> ListKeysAsync(string prefix, string? startAfter, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task ProbeAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
