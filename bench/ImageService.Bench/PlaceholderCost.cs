using System.Diagnostics;
using ImageService.Core.Processing;
using ImageService.Imaging;
using NetVips;

namespace ImageService.Bench;

/// <summary>
/// The pipeline's CPU per image with and without placeholders (<see cref="ProcessingOptions.Placeholders"/>), run in
/// pairs on the same image one after the other, the order swapped every pair, so whatever else the machine is doing
/// weighs on both sides alike; and <see cref="Placeholders.From"/> alone on the display rendition, in a loop.
/// </summary>
public sealed record PlaceholderCost(IReadOnlyList<double> With, IReadOnlyList<double> Without, IReadOnlyList<double> PairRatios, double StepMilliseconds)
{
    public const int StepCalls = 50;

    /// <summary>Median CPU seconds per image with placeholders: the service's pipeline as it runs.</summary>
    public double WithMedian => Stats.Median(With);

    public double WithoutMedian => Stats.Median(Without);

    /// <summary>Median of the pairs' with / without ratios: each pair ran back to back, so it shares the machine's state.</summary>
    public double Ratio => Stats.Median(PairRatios);

    /// <summary>The two processors, each run once untimed first, so neither side pays for the JIT compiling the code
    /// they share; then <see cref="MeasureAsync"/> per image.</summary>
    public static async Task<Func<string, Task<PlaceholderCost>>> PrepareAsync(string warmUpImage, int pairs, string variants)
    {
        var limits = new UploadLimits { MaxPixels = 1_000_000_000 };
        var with = new VipsImageProcessor(limits, new ProcessingOptions { MaxConcurrentImages = 1, VipsConcurrency = 1 });
        var without = new VipsImageProcessor(limits, new ProcessingOptions { MaxConcurrentImages = 1, VipsConcurrency = 1, Placeholders = false });
        (await with.ProcessAsync(warmUpImage, variants, default)).Dispose();
        (await without.ProcessAsync(warmUpImage, variants, default)).Dispose();
        return image => MeasureAsync(with, without, image, pairs, variants);
    }

    private static async Task<PlaceholderCost> MeasureAsync(VipsImageProcessor with, VipsImageProcessor without, string image, int pairs, string variants)
    {
        List<double> withSeconds = [], withoutSeconds = [], ratios = [];
        for (var pair = 0; pair < pairs; pair++)
        {
            double a, b;
            if (pair % 2 == 0)
            {
                a = await CpuSecondsAsync(with, image, variants);
                b = await CpuSecondsAsync(without, image, variants);
            }
            else
            {
                b = await CpuSecondsAsync(without, image, variants);
                a = await CpuSecondsAsync(with, image, variants);
            }

            withSeconds.Add(a);
            withoutSeconds.Add(b);
            ratios.Add(a / b);
        }

        return new PlaceholderCost(withSeconds, withoutSeconds, ratios, StepCpuMilliseconds(image));
    }

    private static async Task<double> CpuSecondsAsync(VipsImageProcessor processor, string image, string variants)
    {
        GC.Collect();
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        using var result = await processor.ProcessAsync(image, variants, default);
        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
    }

    /// <summary>CPU milliseconds of one <see cref="Placeholders.From"/> call on the image's display rendition held in memory, as
    /// the pipeline holds it.</summary>
    private static double StepCpuMilliseconds(string image)
    {
        using var loaded = Image.Thumbnail(image, VariantSpecs.Display.MaxWidth, height: VariantSpecs.Display.MaxHeight, size: Enums.Size.Down);
        using var display = loaded.CopyMemory();
        Placeholders.From(display);
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < StepCalls; i++)
        {
            Placeholders.From(display);
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds / StepCalls;
    }
}
