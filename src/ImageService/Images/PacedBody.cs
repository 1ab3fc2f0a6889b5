using System.Diagnostics;
using ImageService.Core;
using ImageService.Processing;

namespace ImageService.Images;

/// <summary>
/// An upload body that must keep coming while it holds a place in the queue. Three limits, each cut off as too slow:
/// the time spent waiting for the client's bytes, less <see cref="UploadQueueOptions.BodyGrace"/>, may not outrun what
/// the client sent at <see cref="UploadQueueOptions.MinBodyBytesPerSecond"/> (time the service itself spends between
/// reads does not count); one read may wait at most <see cref="UploadQueueOptions.BodyIdleSeconds"/>; and the whole
/// body must arrive within <see cref="UploadQueueOptions.BodyTimeoutSeconds"/>. Wall-clock time on purpose: this is
/// about the network, not the service's clock. Disposing it leaves the request body open.
/// </summary>
/// <remarks>
/// A read is stopped with <c>cancelPendingRead</c> when there is one: Kestrel's request body is left in a
/// bad state by a cancelled token ("reading is already in progress" when it drains the body later), not by
/// <see cref="System.IO.Pipelines.PipeReader.CancelPendingRead"/>. Other streams get a cancelled token.
/// </remarks>
internal sealed class PacedBody : Stream
{
    private readonly Stream inner;
    private readonly UploadQueueOptions options;
    private readonly CancellationToken aborted;
    private readonly Action? cancelPendingRead;
    private readonly long opened = Stopwatch.GetTimestamp();
    private CancellationTokenSource timer = null!;
    private long received;
    private TimeSpan waited;
    private bool fired;

    public PacedBody(Stream inner, UploadQueueOptions options, CancellationToken aborted, Action? cancelPendingRead = null)
    {
        (this.inner, this.options, this.aborted, this.cancelPendingRead) = (inner, options, aborted, cancelPendingRead);
        NewTimer();
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => received; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var (allowed, limit) = Allowance();
        if (allowed <= TimeSpan.Zero || fired)
        {
            throw TooSlow(limit);
        }

        // One timer for the whole body, re-armed for each read: no allocation per read unless a token must be linked.
        using var own = cancelPendingRead is null && cancellationToken.CanBeCanceled && cancellationToken != aborted
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token)
            : null;
        var token = cancelPendingRead is not null ? cancellationToken : own?.Token ?? timer.Token;
        timer.CancelAfter(allowed);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var read = await inner.ReadAsync(buffer, token);
            received += read;
            return read;
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !aborted.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw TooSlow(limit);
        }
        finally
        {
            waited += Stopwatch.GetElapsedTime(started);
            if (!timer.TryReset())
            {
                // It fired as the read ended: the allowance is spent, and a pending-read cancel may still be on its way.
                fired = !aborted.IsCancellationRequested;
                timer.Dispose();
                NewTimer();
            }
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

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            timer.Dispose();
        }

        base.Dispose(disposing);
    }

    private void NewTimer()
    {
        timer = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        if (cancelPendingRead is not null)
        {
            timer.Token.Register(() =>
            {
                if (!aborted.IsCancellationRequested)
                {
                    cancelPendingRead();
                }
            });
        }
    }

    private enum Limit
    {
        Rate,
        Idle,
        Total,
    }

    /// <summary>How long the next read may wait, and which limit sets it.</summary>
    private (TimeSpan Allowed, Limit Limit) Allowance()
    {
        (TimeSpan Allowed, Limit Limit) allowance = (options.BodyIdleLimit, Limit.Idle);
        var total = options.BodyTimeout - Stopwatch.GetElapsedTime(opened);
        if (total < allowance.Allowed)
        {
            allowance = (total, Limit.Total);
        }

        if (options.MinBodyBytesPerSecond > 0)
        {
            var rate = UploadQueueOptions.BodyGrace + TimeSpan.FromSeconds((double)received / options.MinBodyBytesPerSecond) - waited;
            if (rate < allowance.Allowed)
            {
                allowance = (rate, Limit.Rate);
            }
        }

        return allowance;
    }

    private ImageServiceException TooSlow(Limit limit) => ImageServiceException.TooSlow(limit switch
    {
        Limit.Rate => $"The upload arrived slower than {options.MinBodyBytesPerSecond:N0} bytes a second (after {received:N0} bytes),",
        Limit.Idle => $"The upload sent nothing for {options.BodyIdleSeconds:N0} s (after {received:N0} bytes),",
        _ => $"The upload did not arrive within {options.BodyTimeoutSeconds:N0} s (after {received:N0} bytes),",
    } + " so it was stopped and nothing was stored. Send it again over a faster connection, or a smaller file.");
}
