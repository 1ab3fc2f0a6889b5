using ImageService.Core;
using ImageService.Imaging;

namespace ImageService.Processing;

/// <summary>
/// The one bound on upload work in this process: a place in flight and a share of the staging disk (each client
/// at most <see cref="UploadQueueOptions.MaxInFlightPerClient"/> places and its fraction of the disk), taken before
/// the body is read, and a processing slot (<see cref="ProcessingOptions.MaxConcurrentImages"/>) taken after it is
/// staged. Refusing at the door keeps a flood off the disk and leaves the CPU to lists and views.
/// </summary>
internal sealed class UploadQueue(UploadQueueOptions options, ProcessingOptions processing) : IDisposable
{
    private readonly Lock sync = new();
    private readonly SemaphoreSlim slots = new(processing.MaxConcurrentImages);
    private readonly Dictionary<string, (int Uploads, long Bytes)> byClient = [];
    private int inFlight;
    private long stagedBytes;

    /// <summary>Admits an upload of <paramref name="client"/> whose body may stage up to <paramref name="bodyBytes"/>,
    /// or refuses it: as too many at once for that client, or as busy. A body larger than the whole budget is admitted
    /// alone, so the largest upload the limits allow always fits.</summary>
    public Ticket Enter(long bodyBytes, string client)
    {
        var reserved = Math.Min(bodyBytes, options.MaxStagedBytes);
        lock (sync)
        {
            var ofClient = byClient.GetValueOrDefault(client);
            if (ofClient.Uploads >= options.MaxInFlightPerClient)
            {
                throw ImageServiceException.TooManyAtOnce(
                    $"You already have as many uploads in progress as one client may ({options.MaxInFlightPerClient}). Nothing was stored; send this one again once one of them has finished.");
            }

            if (inFlight >= options.MaxInFlight)
            {
                throw Busy($"The service is already taking {options.MaxInFlight} uploads at once.");
            }

            if (stagedBytes + reserved > options.MaxStagedBytes)
            {
                throw Busy("The uploads in progress fill the disk space set aside for them.");
            }

            // A client's first upload may be as large as the limits allow; beyond it, its share of the disk.
            if (ofClient.Uploads > 0 && ofClient.Bytes + reserved > options.StagedBytesPerClient)
            {
                throw ImageServiceException.TooManyAtOnce(
                    "Your uploads in progress already take your share of the disk space set aside for uploads. Nothing was stored; send this one again once one of them has finished.");
            }

            inFlight++;
            stagedBytes += reserved;
            byClient[client] = (ofClient.Uploads + 1, ofClient.Bytes + reserved);
        }

        return new Ticket(this, reserved, client);
    }

    public void Dispose() => slots.Dispose();

    private async Task<IDisposable> WaitForSlotAsync(CancellationToken cancellationToken)
    {
        if (!await slots.WaitAsync(options.QueueTimeout, cancellationToken))
        {
            throw Busy($"The upload waited {options.QueueTimeoutSeconds} s for a processing slot behind other uploads.");
        }

        return new Slot(slots);
    }

    private void Leave(long reserved, string client)
    {
        lock (sync)
        {
            inFlight--;
            stagedBytes -= reserved;
            var ofClient = byClient[client];
            if (ofClient.Uploads == 1)
            {
                byClient.Remove(client);
            }
            else
            {
                byClient[client] = (ofClient.Uploads - 1, ofClient.Bytes - reserved);
            }
        }
    }

    private static ImageServiceException Busy(string why) =>
        ImageServiceException.Busy($"{why} Nothing was stored; send the upload again after the Retry-After delay.");

    /// <summary>An admitted upload's place in the queue; disposing it frees the place and the disk share.</summary>
    public sealed class Ticket(UploadQueue queue, long reserved, string client) : IDisposable
    {
        private int disposed;

        /// <summary>Waits for a processing slot, at most <see cref="UploadQueueOptions.QueueTimeoutSeconds"/>; dispose the
        /// result to hand the slot on. A wait that times out is refused as busy, before anything is stored.</summary>
        public Task<IDisposable> WaitForProcessingAsync(CancellationToken cancellationToken) => queue.WaitForSlotAsync(cancellationToken);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                queue.Leave(reserved, client);
            }
        }
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
