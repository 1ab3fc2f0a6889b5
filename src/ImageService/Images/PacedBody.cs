using System.Diagnostics;
using ImageService.Core;
using ImageService.Processing;

namespace ImageService.Images;

/// <summary>
/// A request body that must arrive at an average of at least <paramref name="bytesPerSecond"/> since it was opened,
/// after <see cref="UploadQueueOptions.BodyGrace"/>: a read still waiting when the average falls below that is cut
/// off as too slow. Wall-clock time on purpose: this is about the network, not the service's clock.
/// </summary>
internal sealed class PacedBody(Stream inner, int bytesPerSecond) : Stream
{
    private readonly long opened = Stopwatch.GetTimestamp();
    private long received;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => received; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var due = UploadQueueOptions.BodyGrace + TimeSpan.FromSeconds((double)received / bytesPerSecond) - Stopwatch.GetElapsedTime(opened);
        if (due <= TimeSpan.Zero)
        {
            throw TooSlow();
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(due);
        try
        {
            var read = await inner.ReadAsync(buffer, deadline.Token);
            received += read;
            return read;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw TooSlow();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The upload body is read asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private ImageServiceException TooSlow() => ImageServiceException.TooSlow(
        $"The upload arrived slower than {bytesPerSecond:N0} bytes a second (after {received:N0} bytes), so it was stopped and nothing was stored. "
        + "Send it again over a faster connection, or a smaller file.");
}
