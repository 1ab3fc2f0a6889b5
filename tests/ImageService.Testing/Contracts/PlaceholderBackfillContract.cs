using System.Collections.Concurrent;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using ImageService.Core.Sweeping;
using ImageService.Imaging;
using Microsoft.Extensions.Logging;
using NetVips;
using Xunit;

namespace ImageService.Testing.Contracts;

/// <summary>
/// The placeholder backfill on each backend's real stores and the real processor: images stored before placeholders
/// existed get them from their thumbnail alone, in bounded batches that resume across sweeps and processes, without
/// losing an edit made meanwhile, and past thumbnails that give none. Each backend derives from this class once.
/// </summary>
public abstract class PlaceholderBackfillContract : IAsyncLifetime
{
    private static readonly VipsImageProcessor Processor = new(new UploadLimits(), new ProcessingOptions());
    private Stores? stores;

    /// <summary>The index, the backfill's view of it, and the blob store of one backend.</summary>
    protected sealed record Stores(IImageIndex Index, IPlaceholderBackfillStore Backfill, IBlobStore Blobs);

    /// <summary>New, empty stores for one test.</summary>
    protected abstract Task<Stores> CreateStoresAsync();

    /// <summary>New store objects over the same database (or table and bucket), as another process would open them.</summary>
    protected abstract Stores Reopen();

    /// <summary>Changes the record's caption straight in the database or table, as a concurrent edit would.</summary>
    protected abstract Task ChangeCaptionDirectlyAsync(Guid imageId, string caption);

    /// <summary>Writes, straight to the database or table, a committed record the service would not write: no placeholder,
    /// and variants that do not parse (or, where attributes may be missing, none and no size). Returns its id.</summary>
    protected abstract Task<Guid> AddBrokenRecordDirectlyAsync();

    protected virtual Task DestroyStoresAsync() => Task.CompletedTask;

    protected Stores Current => stores ?? throw new InvalidOperationException("The stores are created in InitializeAsync.");

    public async Task InitializeAsync() => stores = await CreateStoresAsync();

    public Task DisposeAsync() => DestroyStoresAsync();

    [Fact]
    public async Task Old_images_get_a_placeholder_from_their_thumbnail_alone_with_their_colour_and_shape()
    {
        double[] orange = [230, 120, 30], blue = [40, 90, 220];
        var landscape = await AddOldImageAsync(orange, 1080, 720, "beach");
        var portrait = await AddOldImageAsync(blue, 600, 900);
        var already = await AddOldImageAsync(orange, 1080, 720);
        Assert.True(await Current.Backfill.SetPlaceholderAsync(already.ImageId, "KEEPME==", "#123456", default));
        var pending = ImageIndexContract.Record("old", 9) with { State = ImageState.Pending };
        Assert.True(await Current.Index.TryAddAsync(pending, default));
        var reads = new ConcurrentQueue<string>();

        var report = await Backfill(blobs: new ReadRecordingBlobs(Current.Blobs, reads)).RunBatchAsync(default);

        Assert.Equal(new PlaceholderBackfillReport(Checked: 2, Filled: 2, Skipped: 0, Failed: 0, Done: true), report);
        Assert.Equal(new[] { landscape, portrait }.Select(ThumbnailKey).Order(), reads.Order()); // never a display or an original
        foreach (var (record, colour) in new[] { (landscape, orange), (portrait, blue) })
        {
            var stored = (await Current.Index.GetAsync(record.ImageId, default))!;
            var decoded = await ThumbHashReference.DecodeAsync(Convert.FromBase64String(stored.Placeholder!));
            var average = decoded.GetProperty("average").EnumerateArray().Select(v => v.GetDouble() * 255).ToArray();
            var aspect = decoded.GetProperty("aspect").GetDouble();
            var dominant = Convert.FromHexString(stored.DominantColor![1..]);
            for (var band = 0; band < 3; band++)
            {
                Assert.InRange(average[band], colour[band] - 12, colour[band] + 12);
                Assert.InRange(dominant[band], colour[band] - 12, colour[band] + 12);
            }

            Assert.InRange(aspect, (double)record.Width / record.Height * 0.8, (double)record.Width / record.Height * 1.25);
            Assert.Equal((record.Caption, record.UserId, ImageState.Committed), (stored.Caption, stored.UserId, stored.State));
            Assert.Equal(record.Tags, stored.Tags);
        }

        Assert.Equal([landscape.ImageId], (await Current.Index.ListAsync(new IndexQuery(null, "beach", 10), default)).Select(r => r.ImageId));
        var kept = (await Current.Index.GetAsync(already.ImageId, default))!;
        Assert.Equal(("KEEPME==", "#123456"), (kept.Placeholder, kept.DominantColor));
        Assert.Null((await Current.Index.GetAsync(pending.ImageId, default))!.Placeholder);
    }

    [Fact]
    public async Task The_backfill_runs_in_bounded_batches_that_resume_across_sweeps_and_processes_and_once_done_asks_nothing()
    {
        var old = new List<ImageRecord>();
        for (var i = 0; i < 5; i++)
        {
            old.Add(await AddOldImageAsync([200, 100, 50], 800, 600, $"tag{i}"));
        }

        var reads = new ConcurrentQueue<string>();
        var calls = new ConcurrentQueue<string>();
        var first = Backfill(batchSize: 2, blobs: new ReadRecordingBlobs(Current.Blobs, reads));
        Assert.Equal(2, (await first.RunBatchAsync(default)).Filled);
        Assert.Equal(2, await CountWithPlaceholderAsync(old));
        Assert.Equal(2, (await first.RunBatchAsync(default)).Filled);
        Assert.Equal(4, await CountWithPlaceholderAsync(old));

        // Another process, with its own store objects, continues from the position the first one saved.
        var reopened = Reopen();
        var second = Backfill(batchSize: 2, blobs: new ReadRecordingBlobs(reopened.Blobs, reads), store: reopened.Backfill);
        var later = new List<PlaceholderBackfillReport>();
        do
        {
            later.Add(await second.RunBatchAsync(default));
        }
        while (!later[^1].Done && later.Count < 5);

        Assert.True(later[^1].Done, "the backfill never finished");
        Assert.Equal(1, later.Sum(r => r.Filled));
        Assert.All(later, r => Assert.InRange(r.Checked, 0, 2));
        Assert.Equal(5, await CountWithPlaceholderAsync(old));
        Assert.Equal(5, reads.Count); // each thumbnail read once: no batch went over an image again
        Assert.Equal(5, reads.Distinct().Count());

        // Done: this process asks nothing more; a new one reads the position and stops there.
        var counted = new CallRecordingStore(reopened.Backfill, calls);
        var sameProcess = Backfill(batchSize: 2, store: counted);
        await sameProcess.RunBatchAsync(default);
        calls.Clear();
        Assert.Equal(new PlaceholderBackfillReport(0, 0, 0, 0, Done: true), await sameProcess.RunBatchAsync(default));
        Assert.Empty(calls);
        Assert.Equal(new PlaceholderBackfillReport(0, 0, 0, 0, Done: true), await Backfill(store: new CallRecordingStore(Reopen().Backfill, calls)).RunBatchAsync(default));
        Assert.Equal(["ReadPosition"], calls);
    }

    [Fact]
    public async Task Two_instances_backfilling_at_once_write_each_placeholder_once()
    {
        var old = new List<ImageRecord>();
        for (var i = 0; i < 6; i++)
        {
            old.Add(await AddOldImageAsync([100, 100, 200], 1080, 720));
        }

        var other = Reopen();
        var reports = await Task.WhenAll(
            Task.Run(() => Backfill(batchSize: 2).RunToEndAsync(default)),
            Task.Run(() => Backfill(batchSize: 2, blobs: other.Blobs, store: other.Backfill).RunToEndAsync(default)));

        Assert.Equal(6, reports.Sum(r => r.Filled));
        Assert.Equal(0, reports.Sum(r => r.Failed));
        Assert.Equal(6, await CountWithPlaceholderAsync(old));
    }

    [Fact]
    public async Task A_caption_edited_while_the_placeholder_is_computed_is_kept()
    {
        var record = await AddOldImageAsync([10, 200, 90], 1080, 720, "kept");
        var editing = new ReadHookBlobs(Current.Blobs, _ => ChangeCaptionDirectlyAsync(record.ImageId, "edited meanwhile"));

        var report = await Backfill(blobs: editing).RunBatchAsync(default);

        var stored = (await Current.Index.GetAsync(record.ImageId, default))!;
        Assert.Equal(1, report.Filled);
        Assert.NotNull(stored.Placeholder);
        Assert.Equal("edited meanwhile", stored.Caption);
        Assert.Equal(["kept"], stored.Tags);

        var another = await AddOldImageAsync([10, 200, 90], 1080, 720);
        await ChangeCaptionDirectlyAsync(another.ImageId, "edited first");
        Assert.True(await Current.Backfill.SetPlaceholderAsync(another.ImageId, "AAAA", "#000000", default));
        Assert.False(await Current.Backfill.SetPlaceholderAsync(another.ImageId, "BBBB", "#ffffff", default));
        var read = (await Current.Index.GetAsync(another.ImageId, default))!;
        Assert.Equal(("edited first", "AAAA", "#000000"), (read.Caption, read.Placeholder, read.DominantColor));
    }

    [Fact]
    public async Task An_image_deleted_while_its_placeholder_is_computed_is_not_brought_back()
    {
        var deleted = await AddOldImageAsync([90, 90, 90], 1080, 720, "gone");
        var deleting = await AddOldImageAsync([90, 90, 90], 1080, 720);
        var deletes = new ReadHookBlobs(Current.Blobs, async key =>
        {
            var id = key == ThumbnailKey(deleted) ? deleted.ImageId : deleting.ImageId;
            Assert.True(await Current.Index.TransitionAsync(id, ImageState.Committed, ImageState.Deleting, DateTimeOffset.UtcNow, default));
            if (id == deleted.ImageId)
            {
                Assert.True(await Current.Index.RemoveAsync(id, ImageState.Deleting, default));
            }
        });

        var report = await Backfill(blobs: deletes).RunBatchAsync(default);

        Assert.Equal((0, 2), (report.Filled, report.Skipped));
        Assert.Null(await Current.Index.GetAsync(deleted.ImageId, default));
        Assert.Empty(await Current.Index.ListAsync(new IndexQuery(null, "gone", 10), default));
        var stillDeleting = (await Current.Index.GetAsync(deleting.ImageId, default))!;
        Assert.Equal((ImageState.Deleting, null), (stillDeleting.State, stillDeleting.Placeholder));
        var never = Guid.NewGuid();
        Assert.False(await Current.Backfill.SetPlaceholderAsync(never, "AAAA", "#000000", default));
        Assert.Null(await Current.Index.GetAsync(never, default));
    }

    [Fact]
    public async Task Thumbnails_that_give_no_placeholder_are_logged_and_passed_and_the_batch_goes_on()
    {
        var good = await AddOldImageAsync([250, 200, 0], 1080, 720);
        var missing = await AddOldImageAsync([1, 1, 1], 1080, 720);
        await Current.Blobs.DeleteAsync(ThumbnailKey(missing), default);
        var garbage = await AddOldImageAsync([1, 1, 1], 1080, 720, thumbnail: [.. "RIFF\x10\0\0\0WEBPVP8 "u8, .. new byte[200]]);
        var jpeg = await AddOldImageAsync([1, 1, 1], 1080, 720, thumbnail: TestImages.Jpeg(320, 320));
        var tooManyPixels = await AddOldImageAsync([1, 1, 1], 1080, 720, thumbnail: SolidWebp(2000, 1100, [1, 1, 1]));
        var tooLong = await AddOldImageAsync([1, 1, 1], 1080, 720, thumbnail: [.. SolidWebp(320, 320, [1, 1, 1]), .. new byte[PlaceholderBackfill.MaxThumbnailBytes]]);
        var listed = ImageIndexContract.Record("old", 3);
        var noThumbnail = listed with { Variants = [.. listed.Variants.Where(v => v.Name != VariantNames.Thumbnail)] };
        Assert.True(await Current.Index.TryAddAsync(noThumbnail, default));
        await Current.Blobs.PutAsync(noThumbnail.Variants[0].Key, new MemoryStream(TestImages.Jpeg(1080, 720)), "image/jpeg", default);
        var alsoGood = await AddOldImageAsync([0, 100, 250], 600, 900);
        var reads = new ConcurrentQueue<string>();
        var log = new WarningLog();

        // Batches of one: a bad image must never hold the position, or the pass would never end.
        var report = await Backfill(batchSize: 1, blobs: new ReadRecordingBlobs(Current.Blobs, reads), logger: log).RunToEndAsync(default).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal((2, 6, true), (report.Filled, report.Failed, report.Done));
        Assert.NotNull((await Current.Index.GetAsync(good.ImageId, default))!.Placeholder);
        Assert.NotNull((await Current.Index.GetAsync(alsoGood.ImageId, default))!.Placeholder);
        foreach (var bad in new[] { missing, garbage, jpeg, tooManyPixels, tooLong, noThumbnail })
        {
            Assert.Null((await Current.Index.GetAsync(bad.ImageId, default))!.Placeholder);
            Assert.Single(log.Entries, entry => entry.Contains(bad.ImageId.ToString(), StringComparison.Ordinal));
        }

        Assert.DoesNotContain(reads, key => !key.EndsWith("/thumbnail.webp", StringComparison.Ordinal));
        Assert.Equal(new PlaceholderBackfillReport(0, 0, 0, 0, Done: true), await Backfill(batchSize: 1, logger: log).RunBatchAsync(default));
        Assert.Equal(6, log.Entries.Count); // a finished pass does not come back to them
    }

    [Fact]
    public async Task A_record_the_service_did_not_write_whole_is_logged_and_passed_not_stuck_on()
    {
        var broken = await AddBrokenRecordDirectlyAsync();
        var good = await AddOldImageAsync([250, 200, 0], 1080, 720);
        var log = new WarningLog();

        var report = await Backfill(batchSize: 1, logger: log).RunToEndAsync(default).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal((1, 1, true), (report.Filled, report.Failed, report.Done));
        Assert.NotNull((await Current.Index.GetAsync(good.ImageId, default))!.Placeholder);
        Assert.Contains(log.Entries, entry => entry.Contains(broken.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_command_finishes_the_pass_under_way_and_once_done_goes_through_again()
    {
        var old = await AddOldImageAsync([120, 60, 200], 1080, 720);
        Assert.Equal(1, (await Backfill().RunToEndAsync(default)).Filled);
        // Committed without a placeholder after the pass went through (an older version still running, say).
        var straggler = await AddOldImageAsync([120, 60, 200], 720, 1080);

        var routine = await Backfill().RunBatchAsync(default);
        var command = await Backfill().RunToEndAsync(default);

        Assert.Equal(new PlaceholderBackfillReport(0, 0, 0, 0, Done: true), routine);
        Assert.Equal(new PlaceholderBackfillReport(Checked: 1, Filled: 1, Skipped: 0, Failed: 0, Done: true), command);
        Assert.NotNull((await Current.Index.GetAsync(straggler.ImageId, default))!.Placeholder);
        Assert.NotNull((await Current.Index.GetAsync(old.ImageId, default))!.Placeholder);
    }

    [Theory]
    [InlineData("not a position")]
    [InlineData("0:")] // parts of a key that DynamoDB refuses as empty
    [InlineData("6:image#")]
    public async Task A_position_the_store_did_not_hand_out_is_refused_and_a_saved_one_starts_the_pass_again(string position)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Current.Backfill.ListWithoutPlaceholderAsync(position, 10, default));

        var old = await AddOldImageAsync([60, 200, 60], 1080, 720);
        await Current.Backfill.SavePositionAsync(new PlaceholderBackfillPosition(position, Done: false), default);
        var log = new WarningLog();

        Assert.Equal(1, (await Backfill(logger: log).RunBatchAsync(default)).Filled);
        Assert.NotNull((await Current.Index.GetAsync(old.ImageId, default))!.Placeholder);
        Assert.Single(log.Entries);
    }

    [Fact]
    public async Task A_pass_done_is_reopened_while_placeholders_are_off_so_images_stored_meanwhile_get_theirs_once_back_on()
    {
        var backfill = Backfill();
        Assert.True((await backfill.RunBatchAsync(default)).Done);

        await backfill.ReopenAsync(default); // a sweep while Processing:Placeholders is off
        var stored = await AddOldImageAsync([200, 60, 60], 640, 480);
        var filled = await Backfill().RunBatchAsync(default); // a process with placeholders back on

        Assert.Equal(1, filled.Filled);
        Assert.NotNull((await Current.Index.GetAsync(stored.ImageId, default))!.Placeholder);
    }

    protected PlaceholderBackfill Backfill(int batchSize = 100, IBlobStore? blobs = null, IPlaceholderBackfillStore? store = null, ILogger<PlaceholderBackfill>? logger = null) =>
        new(store ?? Current.Backfill, blobs ?? Current.Blobs, Processor, new SweeperOptions { BackfillBatchSize = batchSize }, logger ?? new WarningLog());

    /// <summary>A committed image as stored before placeholders existed: no placeholder, a real thumbnail (a centre
    /// square WebP of <paramref name="colour"/>, unless <paramref name="thumbnail"/> says otherwise), and an original
    /// that the backfill must never read.</summary>
    protected async Task<ImageRecord> AddOldImageAsync(double[] colour, int width, int height, string? tag = null, byte[]? thumbnail = null)
    {
        var record = ImageIndexContract.Record("old", 0, tag is null ? [] : [tag]) with { Width = width, Height = height };
        Assert.Null(record.Placeholder);
        Assert.True(await Current.Index.TryAddAsync(record, default));
        await Current.Blobs.PutAsync(ThumbnailKey(record), new MemoryStream(thumbnail ?? SolidWebp(320, 320, colour)), "image/webp", default);
        await Current.Blobs.PutAsync(record.Variant(VariantNames.Original).Key, new MemoryStream(TestImages.Jpeg(width, height)), "image/jpeg", default);
        return record;
    }

    private static string ThumbnailKey(ImageRecord record) => record.Variants.Single(v => v.Name == VariantNames.Thumbnail).Key;

    private async Task<int> CountWithPlaceholderAsync(IEnumerable<ImageRecord> records)
    {
        var count = 0;
        foreach (var record in records)
        {
            count += (await Current.Index.GetAsync(record.ImageId, default))!.Placeholder is null ? 0 : 1;
        }

        return count;
    }

    /// <summary>A WebP of one colour, as the pipeline encodes thumbnails (quality 75).</summary>
    private static byte[] SolidWebp(int width, int height, double[] colour)
    {
        using var black = Image.Black(width, height, bands: 3);
        using var filled = black + colour;
        using var solid = filled.Cast(Enums.BandFormat.Uchar).Copy(interpretation: Enums.Interpretation.Srgb);
        return solid.WebpsaveBuffer(q: 75);
    }

    /// <summary>Notes the key of every blob read.</summary>
    private sealed class ReadRecordingBlobs(IBlobStore inner, ConcurrentQueue<string> reads) : DelegatingBlobStore(inner)
    {
        public override Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
        {
            reads.Enqueue(key);
            return base.OpenReadAsync(key, cancellationToken);
        }
    }

    /// <summary>Runs <paramref name="hook"/> as a blob is opened: between the backfill's read of a page and its write.</summary>
    private sealed class ReadHookBlobs(IBlobStore inner, Func<string, Task> hook) : DelegatingBlobStore(inner)
    {
        public override async Task<BlobContent?> OpenReadAsync(string key, CancellationToken cancellationToken)
        {
            await hook(key);
            return await base.OpenReadAsync(key, cancellationToken);
        }
    }

    /// <summary>Notes each call the backfill makes of its store, by name.</summary>
    private sealed class CallRecordingStore(IPlaceholderBackfillStore inner, ConcurrentQueue<string> calls) : IPlaceholderBackfillStore
    {
        public Task<PlaceholderBackfillPage> ListWithoutPlaceholderAsync(string? after, int limit, CancellationToken cancellationToken)
        {
            calls.Enqueue("ListWithoutPlaceholder");
            return inner.ListWithoutPlaceholderAsync(after, limit, cancellationToken);
        }

        public Task<bool> SetPlaceholderAsync(Guid imageId, string placeholder, string dominantColor, CancellationToken cancellationToken)
        {
            calls.Enqueue("SetPlaceholder");
            return inner.SetPlaceholderAsync(imageId, placeholder, dominantColor, cancellationToken);
        }

        public Task<PlaceholderBackfillPosition> ReadPositionAsync(CancellationToken cancellationToken)
        {
            calls.Enqueue("ReadPosition");
            return inner.ReadPositionAsync(cancellationToken);
        }

        public Task SavePositionAsync(PlaceholderBackfillPosition position, CancellationToken cancellationToken)
        {
            calls.Enqueue("SavePosition");
            return inner.SavePositionAsync(position, cancellationToken);
        }
    }

    /// <summary>Keeps every warning logged, with its exception's message.</summary>
    private sealed class WarningLog : ILogger<PlaceholderBackfill>
    {
        public ConcurrentQueue<string> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Entries.Enqueue($"{formatter(state, exception)}: {exception?.Message}");
            }
        }
    }
}
