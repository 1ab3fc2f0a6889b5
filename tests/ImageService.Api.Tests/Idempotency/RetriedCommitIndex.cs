using ImageService.Core.Images;
using ImageService.Core.Ports;
using ImageService.Testing;

namespace ImageService.Api.Tests.Idempotency;

/// <summary>
/// The real index, except that the first pending → committed switch is sent twice and only the second answer is
/// returned: what an SDK does when the first answer is lost and it retries a write that had already landed.
/// </summary>
internal sealed class RetriedCommitIndex(IImageIndex inner) : DelegatingImageIndex(inner)
{
    private int commits;

    public override async Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var result = await Inner.TransitionAsync(imageId, from, to, at, cancellationToken);
        return from == ImageState.Pending && to == ImageState.Committed && Interlocked.Increment(ref commits) == 1
            ? await Inner.TransitionAsync(imageId, from, to, at, cancellationToken)
            : result;
    }
}
