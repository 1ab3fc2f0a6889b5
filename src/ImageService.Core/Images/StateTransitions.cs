using ImageService.Core.Ports;

namespace ImageService.Core.Images;

/// <summary>State changes of an image record that survive a lost answer.</summary>
public static class StateTransitions
{
    /// <summary>
    /// Moves the record from <paramref name="from"/> to <paramref name="to"/>. When the conditional write reports that
    /// nothing changed, the record is read back: if it is already in <paramref name="to"/> with the very
    /// <paramref name="at"/> this call wrote, the write did land (an SDK retried it after its answer was lost, and the
    /// retry failed its own condition), so it counts as done.
    /// </summary>
    public static async Task<bool> TransitionConfirmedAsync(
        this IImageIndex index, Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken) =>
        await index.TransitionAsync(imageId, from, to, at, cancellationToken)
        || await index.GetAsync(imageId, cancellationToken) is { } record && record.State == to && record.StateChangedAt == at;
}
