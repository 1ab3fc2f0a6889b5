using System.Buffers;
using System.IO.Pipelines;
using ImageService.Core;
using ImageService.Images;
using ImageService.Imaging;
using ImageService.Processing;

namespace ImageService.Api.Tests;

/// <summary>
/// The upload queue's defences against one client holding it: its share of places and disk, and a body that must
/// keep coming. Against the parts themselves, with streams that behave as a hostile or a slow network does; the HTTP
/// cases are in <see cref="UploadQueueTests"/>.
/// </summary>
public sealed class UploadPacingTests
{
    private const long MaxBody = 50L * 1024 * 1024 + 128 * 1024;

    [Fact]
    public void One_client_cannot_reserve_more_than_its_share_of_the_staging_disk_and_others_still_get_in()
    {
        var options = new UploadQueueOptions();
        using var queue = new UploadQueue(options, new ProcessingOptions());
        using var first = queue.Enter(MaxBody, "address:203.0.113.1");

        // Its first upload may be as large as the limits allow; a second that large is over its share (a quarter).
        var second = Assert.Throws<ImageServiceException>(() => queue.Enter(MaxBody, "address:203.0.113.1"));
        using var small = queue.Enter(1_000_000, "address:203.0.113.1");
        using var other = queue.Enter(MaxBody, "address:198.51.100.7");
        using var chunked = queue.Enter(MaxBody, "user:bob");

        Assert.Equal(ImageErrorKind.TooManyAtOnce, second.Kind);
        Assert.Contains("share of the disk space", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_gets_its_places_back_when_its_uploads_end()
    {
        using var queue = new UploadQueue(new UploadQueueOptions { MaxInFlightPerClient = 1 }, new ProcessingOptions());
        queue.Enter(1000, "user:alice").Dispose();
        using var again = queue.Enter(1000, "user:alice");

        Assert.Equal(ImageErrorKind.TooManyAtOnce, Assert.Throws<ImageServiceException>(() => queue.Enter(1000, "user:alice")).Kind);
    }

    [Fact]
    public void A_staged_file_that_cannot_be_deleted_still_gives_up_its_place()
    {
        using var queue = new UploadQueue(new UploadQueueOptions { MaxInFlightPerClient = 1 }, new ProcessingOptions());
        var folder = Directory.CreateTempSubdirectory().FullName;
        try
        {
            // File.Delete of a folder throws, as it does for a file the service may no longer delete.
            var form = new UploadForm("{}", folder, 1, queue.Enter(1000, "user:alice"));
            Assert.ThrowsAny<Exception>(form.Dispose);

            using var again = queue.Enter(1000, "user:alice");
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Fact]
    public async Task A_burst_followed_by_silence_is_cut_off_after_the_idle_limit()
    {
        using var body = new PacedBody(PipeReader.Create(new BurstThenSilence(1024 * 1024)), new UploadQueueOptions { BodyIdleSeconds = 2 }, default);
        var buffer = new byte[1024 * 1024];
        for (var total = 0; total < buffer.Length;)
        {
            total += await body.ReadAsync(buffer.AsMemory(total));
        }

        var refused = await CutOffAsync(body.ReadAsync(new byte[1]).AsTask(), TimeSpan.FromSeconds(20));

        Assert.Contains("sent nothing for 2 s", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(100_000)]
    public async Task A_pipe_that_stalls_after_some_reads_is_stopped_at_the_idle_limit(int bytesFirst)
    {
        // As the service reads a request: from its pipe, written as bytes arrive.
        var pipe = new Pipe();
        using var body = new PacedBody(pipe.Reader, new UploadQueueOptions { BodyIdleSeconds = 1 }, default);
        var buffer = new byte[200_000];
        for (var written = 0; written < bytesFirst; written += 1000)
        {
            await pipe.Writer.WriteAsync(new byte[Math.Min(1000, bytesFirst - written)]);
            Assert.True(await body.ReadAsync(buffer) > 0);
        }

        var refused = await CutOffAsync(body.ReadAsync(buffer).AsTask(), TimeSpan.FromSeconds(15));

        Assert.Contains("sent nothing for 1 s", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_last_bytes_arriving_as_the_time_runs_out_are_kept()
    {
        // The pipe answers the body's end and the timer's cancel in one result: the upload is whole, not too slow.
        var pipe = new Pipe();
        using var body = new PacedBody(pipe.Reader, new UploadQueueOptions(), default);
        await pipe.Writer.WriteAsync(new byte[100]);
        await pipe.Writer.CompleteAsync();
        pipe.Reader.CancelPendingRead();

        Assert.Equal(100, await body.ReadAsync(new byte[200]));
        Assert.Equal(0, await body.ReadAsync(new byte[200]));
    }

    [Fact]
    public async Task A_cancel_left_over_from_an_earlier_read_does_not_cut_off_the_next()
    {
        var pipe = new Pipe();
        using var body = new PacedBody(pipe.Reader, new UploadQueueOptions(), default);
        pipe.Reader.CancelPendingRead(); // as a timer that fired just after its read had its bytes
        var next = body.ReadAsync(new byte[200]).AsTask();
        await Task.Delay(200);
        await pipe.Writer.WriteAsync(new byte[50]);

        Assert.Equal(50, await next);
    }

    [Fact]
    public async Task A_timer_that_fired_as_its_read_got_its_bytes_does_not_cut_off_the_next_read()
    {
        // The body keeps one timer for all its reads. Here the first read's timer fires just as its bytes come: that read
        // keeps them, and the timer has fired. The next read must get a timer of its own, not the one that has gone off.
        var reader = new TimerRacingReader();
        using var body = new PacedBody(reader, new UploadQueueOptions { BodyIdleSeconds = 1 }, default);

        Assert.Equal(10, await body.ReadAsync(new byte[100]));
        Assert.Equal(10, await body.ReadAsync(new byte[100]));
        Assert.Equal(10, await body.ReadAsync(new byte[100]));
    }

    [Fact]
    public async Task A_body_that_sends_nothing_at_all_is_told_so()
    {
        using var body = new PacedBody(new Pipe().Reader, new UploadQueueOptions(), default);

        var refused = await Assert.ThrowsAsync<ImageServiceException>(() => body.ReadAsync(new byte[10]).AsTask());

        Assert.Contains("sent nothing in its first 5 s", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_keeps_its_pace_is_still_cut_off_at_the_body_timeout()
    {
        // 2 KB every 100 ms is 20 KB a second, well above the floor; the whole body may still take only 10 s.
        using var body = new PacedBody(PipeReader.Create(new Drip(2048, TimeSpan.FromMilliseconds(100))), new UploadQueueOptions { BodyTimeoutSeconds = 10 }, default);
        var buffer = new byte[4096];

        var refused = await Assert.ThrowsAsync<ImageServiceException>(async () =>
        {
            while (await body.ReadAsync(buffer) > 0)
            {
            }
        });

        Assert.Equal(ImageErrorKind.TooSlow, refused.Kind);
        Assert.Contains("did not arrive within 10 s", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_already_received_is_not_cut_off_because_the_service_was_slow_to_read_it()
    {
        // The body sits in the server's buffers; the service gets to it only after the grace (a busy thread pool, a
        // slow disk, a pause for garbage collection). That is not the client's slowness.
        using var body = new PacedBody(PipeReader.Create(new MemoryStream(new byte[2000])), new UploadQueueOptions(), default);
        await Task.Delay(UploadQueueOptions.BodyGrace + TimeSpan.FromSeconds(1));

        Assert.Equal(2000, await body.ReadAsync(new byte[2000]));
    }

    [Fact]
    public async Task The_lowest_allowed_floor_reads_a_large_body_to_its_end()
    {
        // At 1 byte a second the floor's allowance for 5 MB is longer than a timer takes (49.7 days).
        using var body = new PacedBody(PipeReader.Create(new MemoryStream(new byte[5_000_000])), new UploadQueueOptions { MinBodyBytesPerSecond = 1 }, default);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        Assert.Equal(5_000_000, total);
    }

    /// <summary>Asserts that <paramref name="read"/> ends within <paramref name="within"/>, refused as too slow.</summary>
    private static async Task<ImageServiceException> CutOffAsync(Task<int> read, TimeSpan within)
    {
        Assert.Same(read, await Task.WhenAny(read, Task.Delay(within)));
        var refused = await Assert.ThrowsAsync<ImageServiceException>(() => read);
        Assert.Equal(ImageErrorKind.TooSlow, refused.Kind);
        return refused;
    }

    /// <summary>Answers <paramref name="burst"/> bytes at once, then waits for ever.</summary>
    /// <summary>A pipe whose first read waits for the body's timer to fire and then answers with bytes, not with the cancel,
    /// as when the bytes and the timer arrive together; a cancel asked for later is answered by the next read.</summary>
    private sealed class TimerRacingReader : PipeReader
    {
        private readonly TaskCompletionSource timerFired = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int reads;
        private bool cancelPending;

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            if (++reads == 1)
            {
                await timerFired.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                cancelPending = false; // taken with the bytes
            }
            else if (cancelPending)
            {
                cancelPending = false;
                return new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: true, isCompleted: false);
            }

            return new ReadResult(new ReadOnlySequence<byte>(new byte[10]), isCanceled: false, isCompleted: false);
        }

        public override void CancelPendingRead()
        {
            cancelPending = true;
            timerFired.TrySetResult();
        }

        public override bool TryRead(out ReadResult result)
        {
            result = default;
            return false;
        }

        public override void AdvanceTo(SequencePosition consumed)
        {
        }

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }
    }

    private sealed class BurstThenSilence(int burst) : ReadOnlyStream
    {
        private int left = burst;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (left == 0)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            var count = Math.Min(left, buffer.Length);
            left -= count;
            return count;
        }
    }

    /// <summary>Answers <paramref name="chunk"/> bytes every <paramref name="every"/>, for ever.</summary>
    private sealed class Drip(int chunk, TimeSpan every) : ReadOnlyStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(every, cancellationToken);
            return Math.Min(chunk, buffer.Length);
        }
    }

    private abstract class ReadOnlyStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
