using ImageService.Core.Sweeping;
using ImageService.Imaging;
using ImageService.Processing;
using ImageService.Uploads;

namespace ImageService.Sweeping;

/// <summary>One routine sweep, whoever runs it (the background timer, the <c>sweep</c> command, the AWS schedule):
/// stale staged files, then unsettled records, then direct uploads' raw files, then one bounded batch of the
/// placeholder backfill (nothing once it is done, or when <c>Processing:Placeholders</c> is off: a service that makes no
/// placeholders does not make them for old images either).</summary>
internal sealed class RoutineSweep(
    StagingJanitor janitor, ImageSweeper sweeper, DirectUploadService directUploads, PlaceholderBackfill backfill, ProcessingOptions processing)
{
    public async Task<SweepReport> RunAsync(CancellationToken cancellationToken)
    {
        janitor.RemoveStale();
        var report = await sweeper.SweepAsync(cancellationToken);
        var (completed, removed) = await directUploads.SweepRawAsync(cancellationToken);
        var backfilled = processing.Placeholders ? (await backfill.RunBatchAsync(cancellationToken)).Filled : 0;
        return report with { DirectUploadsCompleted = completed, RawUploadsRemoved = removed, PlaceholdersBackfilled = backfilled };
    }
}
