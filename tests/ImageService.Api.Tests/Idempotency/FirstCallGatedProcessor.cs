using ImageService.Core.Ports;
using ImageService.Core.Processing;

namespace ImageService.Api.Tests.Idempotency;

/// <summary>Holds the first upload in processing until the test releases the gate; later uploads run straight through.</summary>
internal sealed class FirstCallGatedProcessor(IImageProcessor inner, SemaphoreSlim gate) : IImageProcessor
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SemaphoreSlim, object> Waiters = [];
    private int calls;

    public IReadOnlyList<string> AcceptedContentTypes => inner.AcceptedContentTypes;

    public static bool Waiting(SemaphoreSlim gate) => Waiters.TryGetValue(gate, out _);

    public async Task<ProcessedImage> ProcessAsync(string sourcePath, string outputFolder, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref calls) == 1)
        {
            Waiters.AddOrUpdate(gate, new object());
            await gate.WaitAsync(cancellationToken);
        }

        return await inner.ProcessAsync(sourcePath, outputFolder, cancellationToken);
    }
}
