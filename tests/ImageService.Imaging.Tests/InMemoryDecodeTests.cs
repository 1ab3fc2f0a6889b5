using ImageService.Core;
using ImageService.Core.Processing;
using ImageService.Testing;
using NetVips;

namespace ImageService.Imaging.Tests;

/// <summary>
/// The shared in-memory budget: images that fit are decoded once into memory, the rest stream. However many images
/// arrive at once, the decoded pixels held never exceed the budget; a failure gives its share back; and whichever path
/// an image takes, it is stored the same.
/// </summary>
public sealed class InMemoryDecodeTests : IDisposable
{
    // 2000 × 1500 sRGB, 8 bits a band: what one of these photos takes of the budget.
    private const long PhotoBytes = 2000L * 1500 * 3;

    private readonly string folder = Directory.CreateTempSubdirectory("in-memory-").FullName;

    [Fact]
    public async Task While_other_images_hold_the_budget_a_photo_streams_and_once_they_are_done_it_decodes_in_memory()
    {
        var processor = Processor(budget: 2 * PhotoBytes);
        var photo = TestImages.Landscape(3, 2000, 1500);
        Assert.True(processor.Budget.TryTake(PhotoBytes + 1)); // another image in flight

        using var whileHeld = await processor.ProcessAsync(await Stage(photo), folder, default);
        Assert.Equal((0, PhotoBytes + 1), (processor.Budget.Granted - 1, processor.Budget.HighWater));

        processor.Budget.Return(PhotoBytes + 1);
        using var afterwards = await processor.ProcessAsync(await Stage(photo), folder, default);
        Assert.Equal((1, 0L), (processor.Budget.Granted - 1, processor.Budget.InUse));
        Assert.Equal(
            whileHeld.Variants.Select(v => (v.Name, v.Width, v.Height, v.ContentType)),
            afterwards.Variants.Select(v => (v.Name, v.Width, v.Height, v.ContentType)));
    }

    [Fact]
    public async Task Eight_images_at_once_all_come_out_whole_and_give_the_budget_back()
    {
        var processor = Processor(budget: PhotoBytes + PhotoBytes / 2); // room for one photo, not two
        var photo = TestImages.Landscape(3, 2000, 1500);
        var uploads = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Stage(photo)));

        var results = await Task.WhenAll(uploads.Select(path => processor.ProcessAsync(path, folder, default)));

        Assert.Equal(PhotoBytes, processor.Budget.HighWater);
        Assert.Equal(0, processor.Budget.InUse);
        var first = results[0].Variants.Select(v => (v.Name, v.Width, v.Height, v.ContentType)).ToList();
        Assert.All(results, r => Assert.Equal(first, r.Variants.Select(v => (v.Name, v.Width, v.Height, v.ContentType))));
        Assert.All(results, r => Assert.All(r.Variants, v => Assert.Equal(new FileInfo(v.FilePath).Length, v.Length)));
    }

    [Fact]
    public void Many_takers_at_once_never_hold_more_than_the_budget()
    {
        var budget = new DecodeBudget(1_000);
        int overdrawn = 0, refused = 0;
        using var start = new Barrier(8);
        var takers = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 20_000; i++)
            {
                var bytes = 1 + ((t * 20_000 + i) * 7919 % 600);
                if (!budget.TryTake(bytes))
                {
                    Interlocked.Increment(ref refused);
                    continue;
                }

                if (budget.InUse > 1_000)
                {
                    Interlocked.Increment(ref overdrawn);
                }

                Thread.SpinWait(20); // hold it a moment, as an image would
                budget.Return(bytes);
            }
        })).ToList();
        takers.ForEach(t => t.Start());
        takers.ForEach(t => t.Join());

        Assert.True(refused > 0, "the takers never contended, so the test proved nothing");
        Assert.Equal(0, overdrawn);
        Assert.InRange(budget.HighWater, 1, 1_000);
        Assert.Equal(0, budget.InUse);
        Assert.False(budget.TryTake(1_001));
        Assert.False(budget.TryTake(0));
    }

    [Fact]
    public async Task An_image_one_byte_over_the_budget_streams_and_is_stored_the_same_size()
    {
        var photo = TestImages.Landscape(5, 2000, 1500);
        var tight = Processor(budget: PhotoBytes - 1);
        var roomy = Processor(budget: PhotoBytes);

        using var streamed = await tight.ProcessAsync(await Stage(photo), folder, default);
        using var inMemory = await roomy.ProcessAsync(await Stage(photo), folder, default);

        Assert.Equal(0, tight.Budget.HighWater);
        Assert.Equal(PhotoBytes, roomy.Budget.HighWater);
        Assert.Equal(
            streamed.Variants.Select(v => (v.Name, v.Width, v.Height, v.ContentType)),
            inMemory.Variants.Select(v => (v.Name, v.Width, v.Height, v.ContentType)));
    }

    [Fact]
    public async Task A_corrupt_photo_decoded_in_memory_is_refused_gives_its_share_back_and_leaves_no_file()
    {
        var processor = Processor(budget: PhotoBytes);
        var truncated = await Stage(TestImages.Truncated(TestImages.NoisyJpeg(2000, 1500)));

        var error = await Assert.ThrowsAsync<ImageServiceException>(() => processor.ProcessAsync(truncated, folder, default));

        Assert.Equal(ImageErrorKind.Unprocessable, error.Kind);
        Assert.Equal(PhotoBytes, processor.Budget.HighWater); // it was taken in memory...
        Assert.Equal(0, processor.Budget.InUse);             // ...and given back
        Assert.Equal([truncated], Directory.GetFiles(folder));

        // A leaked share would send every later photo down the slower path for good.
        using var next = await processor.ProcessAsync(await Stage(TestImages.Landscape(1, 2000, 1500)), folder, default);
        Assert.Equal(0, processor.Budget.InUse);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Both_paths_store_the_same_original_and_renditions_that_look_the_same(bool rotated)
    {
        var photo = rotated ? TestImages.JpegWithOrientationAndGps() : TestImages.Landscape(7, 3000, 2000);

        using var streamed = await Processor(budget: 0).ProcessAsync(await Stage(photo), folder, default);
        using var inMemory = await Processor(budget: PhotoBytes * 4).ProcessAsync(await Stage(photo), folder, default);

        Assert.Equal((streamed.Width, streamed.Height), (inMemory.Width, inMemory.Height));
        // The original is encoded from the same full-size pixels either way.
        Assert.Equal(Variant(streamed, "original").ReadBytes(), Variant(inMemory, "original").ReadBytes());
        foreach (var name in (string[])["display", "thumbnail"])
        {
            var (a, b) = (Variant(streamed, name), Variant(inMemory, name));
            Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
            Assert.True(PeakSignalToNoise(a.ReadBytes(), b.ReadBytes()) > 35, $"{name} differs visibly between the paths");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task Every_exif_orientation_comes_out_the_same_way_up_on_both_paths(ushort orientation)
    {
        var photo = TestImages.LandscapeWithOrientation(orientation, 2400, 1600);

        using var streamed = await Processor(budget: 0).ProcessAsync(await Stage(photo), folder, default);
        var inMemoryProcessor = Processor(budget: PhotoBytes * 4);
        using var inMemory = await inMemoryProcessor.ProcessAsync(await Stage(photo), folder, default);

        Assert.Equal(1, inMemoryProcessor.Budget.Granted);
        Assert.Equal(orientation >= 5 ? (1600, 2400) : (2400, 1600), (inMemory.Width, inMemory.Height));
        Assert.Equal((streamed.Width, streamed.Height), (inMemory.Width, inMemory.Height));
        Assert.Equal(Variant(streamed, "original").ReadBytes(), Variant(inMemory, "original").ReadBytes());
        foreach (var name in (string[])["display", "thumbnail"])
        {
            var (a, b) = (Variant(streamed, name), Variant(inMemory, name));
            Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
            Assert.True(PeakSignalToNoise(a.ReadBytes(), b.ReadBytes()) > 35, $"{name} differs visibly between the paths");
        }
    }

    [Fact]
    public async Task A_size_the_reduced_decode_rounds_off_still_gets_the_same_display_size_on_both_paths()
    {
        // 4500 × 2999 fits 1080 × 719.76, so 720 rows. Decoded at a quarter, 2999 rows round down to 749: sized from
        // those, the streamed display would be 719 rows, one fewer than the same photo decoded in memory.
        var photo = TestImages.Jpeg(4500, 2999);

        using var streamed = await Processor(budget: 0).ProcessAsync(await Stage(photo), folder, default);
        using var inMemory = await Processor(budget: 4500L * 2999 * 3).ProcessAsync(await Stage(photo), folder, default);

        Assert.Equal((1080, 720), (Variant(streamed, "display").Width, Variant(streamed, "display").Height));
        Assert.Equal((1080, 720), (Variant(inMemory, "display").Width, Variant(inMemory, "display").Height));
        Assert.Equal((320, 320), (Variant(inMemory, "thumbnail").Width, Variant(inMemory, "thumbnail").Height));
    }

    public void Dispose()
    {
        Directory.Delete(folder, recursive: true);
    }

    private static VipsImageProcessor Processor(long budget) =>
        new(new UploadLimits(), new ProcessingOptions { InMemoryDecodeBytes = budget });

    private async Task<string> Stage(byte[] bytes)
    {
        var path = Path.Combine(folder, $"{Guid.NewGuid():N}.upload");
        await File.WriteAllBytesAsync(path, bytes);
        return path;
    }

    private static EncodedVariant Variant(ProcessedImage image, string name) => image.Variants.Single(v => v.Name == name);

    private static double PeakSignalToNoise(byte[] first, byte[] second)
    {
        using var a = Image.NewFromBuffer(first);
        using var b = Image.NewFromBuffer(second);
        using var difference = a.Cast(Enums.BandFormat.Float) - b.Cast(Enums.BandFormat.Float);
        using var squared = difference * difference;
        var meanSquare = squared.Avg();
        return meanSquare == 0 ? double.PositiveInfinity : 10 * Math.Log10(255 * 255 / meanSquare);
    }
}
