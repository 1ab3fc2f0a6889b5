namespace ImageService.Core.Ports;

/// <summary>
/// A folder of work files that a request deletes when it ends (upload bodies, half-written blobs). A process killed
/// mid-request leaves its files behind; the sweep removes those that are older than any live request could be.
/// </summary>
public interface IStagingArea
{
    /// <summary>Deletes the files last written before <paramref name="olderThan"/>; returns how many.</summary>
    int RemoveStale(DateTimeOffset olderThan);
}
