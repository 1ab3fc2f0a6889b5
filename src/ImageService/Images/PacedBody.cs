using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using ImageService.Core;
using ImageService.Processing;

namespace ImageService.Images;

/// <summary>
/// An upload body that must keep coming while it holds a place in the queue. Three limits, each cut off as too slow:
/// the time spent waiting for the client's bytes, less <see cref="UploadQueueOptions.BodyGrace"/>, may not outrun what
/// the client sent at <see cref="UploadQueueOptions.MinBodyBytesPerSecond"/> (time the service itself spends between
/// reads does not count); one read may wait at most <see cref="UploadQueueOptions.BodyIdleSeconds"/>; and the whole
/// body must arrive within <see cref="UploadQueueOptions.BodyTimeoutSeconds"/>. Wall-clock time on purpose: this is
/// about the network, not the service's clock. It never completes the pipe (the server owns it), and leaves nothing to
/// dispose: its one timer is disarmed after every read.
/// </summary>
/// <remarks>
/// A stream over the request's <see cref="PipeReader"/>, not over its body stream: a late read is stopped with
/// <see cref="PipeReader.CancelPendingRead"/>, and the cancelled read is still advanced, so the pipe stays usable for
/// the server (a cancelled token, or the pipe's own stream, leave it "reading", and Kestrel logs an error draining it).
/// </remarks>
internal sealed class PacedBody(PipeReader reader, UploadQueueOptions options, CancellationToken aborted) : Stream
{
    private readonly long opened = Stopwatch.GetTimestamp();
    private long received;
    private TimeSpan waited;

    // One timer for every read, reset before each and disarmed after it; a new one only after a timer has fired. A
    // timer of their own for each read cost 32 large uploads at once tens of MB of garbage (a read is often one
    // network packet), which the GC let pile up before collecting.
    private CancellationTokenSource? timer;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => received; set => throw new NotSupportedException(); }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var (allowed, limit) = Allowance();
        if (allowed <= TimeSpan.Zero)
        {
            throw TooSlow(limit);
        }

        if (buffer.IsEmpty)
        {
            return 0;
        }

        // The registration is this read's own and goes before it returns, so a timer firing late stops no other read.
        var deadline = Deadline(allowed);
        using var stop = deadline.Token.UnsafeRegister(static state => ((PacedBody)state!).Stop(), this);
        var started = Stopwatch.GetTimestamp();
        ReadResult result;
        try
        {
            while (true)
            {
                result = await reader.ReadAsync(cancellationToken);
                if (!result.IsCanceled)
                {
                    break;
                }

                // Nothing is taken from a cancelled result: what came with it is read again, unless this read's own
                // time ran out. A cancel that is not this read's (an earlier read's timer that fired as it ended) is
                // used up here.
                reader.AdvanceTo(result.Buffer.Start);
                if (deadline.IsCancellationRequested)
                {
                    throw TooSlow(limit);
                }
            }
        }
        finally
        {
            waited += Stopwatch.GetElapsedTime(started);
            deadline.CancelAfter(Timeout.InfiniteTimeSpan);
        }

        var count = (int)Math.Min(buffer.Length, result.Buffer.Length);
        var taken = result.Buffer.Slice(0, count);
        taken.CopyTo(buffer.Span);
        reader.AdvanceTo(taken.End);
        received += count;
        return count;
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

    /// <summary>The timer for the next read, armed to fire after <paramref name="allowed"/>.</summary>
    private CancellationTokenSource Deadline(TimeSpan allowed)
    {
        if (timer is null || !timer.TryReset())
        {
            timer = new CancellationTokenSource();
        }

        timer.CancelAfter(allowed);
        return timer;
    }

    /// <summary>A read's time ran out: stop it, unless the request is over anyway. It runs only while that read is
    /// under way, since each read drops its registration before it returns.</summary>
    private void Stop()
    {
        if (!aborted.IsCancellationRequested)
        {
            reader.CancelPendingRead();
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
        Limit.Rate when received == 0 => $"The upload sent nothing in its first {UploadQueueOptions.BodyGrace.TotalSeconds:N0} s,",
        Limit.Rate => $"The upload arrived slower than {options.MinBodyBytesPerSecond:N0} bytes a second (after {received:N0} bytes),",
        Limit.Idle => $"The upload sent nothing for {options.BodyIdleSeconds:N0} s (after {received:N0} bytes),",
        _ => $"The upload did not arrive within {options.BodyTimeoutSeconds:N0} s (after {received:N0} bytes),",
    } + " so it was stopped and nothing was stored. Send it again over a faster connection, or a smaller file.");
}
