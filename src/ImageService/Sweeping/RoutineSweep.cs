using ImageService.Core;
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
    StagingJanitor janitor, ImageSweeper sweeper, DirectUploadService directUploads, PlaceholderBackfill backfill, ProcessingOptions processing,
    ILogger<RoutineSweep> logger)
{
    public async Task<SweepReport> RunAsync(CancellationToken cancellationToken)
    {
        janitor.RemoveStale();
        var report = await sweeper.SweepAsync(cancellationToken);
        var (completed, removed) = await directUploads.SweepRawAsync(cancellationToken);
        var backfilled = 0;
        try
        {
            if (processing.Placeholders)
            {
                backfilled = (await backfill.RunBatchAsync(cancellationToken)).Filled;
            }
            else
            {
                await backfill.ReopenAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is not StoreUnavailableException && !cancellationToken.IsCancellationRequested)
        {
            // The last step: whatever goes wrong in it must not cost the report of the rest, nor fail every scheduled sweep.
            logger.LogError(e, "The placeholder backfill failed in this sweep; the next sweep tries again");
        }

        return report with { DirectUploadsCompleted = completed, RawUploadsRemoved = removed, PlaceholdersBackfilled = backfilled };
    }
}
