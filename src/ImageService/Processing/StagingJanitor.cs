using ImageService.Core.Ports;

namespace ImageService.Processing;

/// <summary>
/// Removes the work files that processes killed mid-request left in the staging areas (upload bodies, half-written
/// blobs): at start, and with every sweep. A file counts as left over once it is older than
/// <see cref="UploadStagingOptions.StaleAfterSeconds"/>, which no live request reaches.
/// </summary>
internal sealed class StagingJanitor(IEnumerable<IStagingArea> areas, UploadStagingOptions options, TimeProvider time, ILogger<StagingJanitor> logger)
{
    public int RemoveStale()
    {
        var olderThan = time.GetUtcNow().AddSeconds(-options.StaleAfterSeconds);
        var removed = areas.Sum(area => area.RemoveStale(olderThan));
        if (removed > 0)
        {
            logger.LogInformation("Removed {Count} staged files left behind by an earlier process", removed);
        }

        return removed;
    }
}

/// <summary>As the web process starts, before it takes requests: makes its staging folder (so a shared one stops the
/// start, not the first upload) and cleans the staging areas once.</summary>
internal sealed class StagingCleanupAtStart(UploadStaging staging, StagingJanitor janitor) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = staging.Folder;
        janitor.RemoveStale();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
