using ImageService.Core.Ports;
using ImageService.Core.Processing;
using ImageService.Imaging;
using Microsoft.Extensions.DependencyInjection;

namespace ImageService.Api.Tests;

/// <summary>Holds the first upload in processing until the test releases the gate; later uploads run straight through.</summary>
internal sealed class GatedProcessor(IImageProcessor inner, SemaphoreSlim gate) : IImageProcessor
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SemaphoreSlim, object> Waiters = [];
    private int calls;

    public IReadOnlyList<string> AcceptedContentTypes => inner.AcceptedContentTypes;

    public string? DetectContentType(string path) => inner.DetectContentType(path);

    public Task<ImagePlaceholder> PlaceholderFromThumbnailAsync(byte[] thumbnail, int width, int height, CancellationToken cancellationToken) =>
        inner.PlaceholderFromThumbnailAsync(thumbnail, width, height, cancellationToken);

    /// <summary>Puts the real processor behind the gate.</summary>
    public static void Register(IServiceCollection services, SemaphoreSlim gate) =>
        services.AddSingleton<IImageProcessor>(provider => new GatedProcessor(
            new VipsImageProcessor(provider.GetRequiredService<UploadLimits>(), provider.GetRequiredService<ProcessingOptions>()), gate));

    /// <summary>Returns once the first upload waits at the gate.</summary>
    public static async Task HeldAsync(SemaphoreSlim gate)
    {
        for (var i = 0; i < 200 && !Held(gate); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(Held(gate), "the first upload never reached processing");
    }

    public async Task<ProcessedImage> ProcessAsync(string sourcePath, string outputFolder, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref calls) == 1)
        {
            Waiters.AddOrUpdate(gate, new object());
            await gate.WaitAsync(cancellationToken);
        }

        return await inner.ProcessAsync(sourcePath, outputFolder, cancellationToken);
    }

    private static bool Held(SemaphoreSlim gate) => gate.CurrentCount == 0 && Waiters.TryGetValue(gate, out _);
}
