using ImageService.Core.Ports;
using Microsoft.Extensions.Logging;

namespace ImageService.Core.Images;

/// <summary>
/// Keeps an Idempotency-Key claim alive while its request runs, renewing the lease every third of its length, so
/// that the claim blocks retries only as long as the request is alive. Stops when disposed, or once the claim turns
/// out to be someone else's. A renewal that fails (a store outage) is only logged: the next one may succeed, and if
/// none does the claim simply runs out.
/// </summary>
internal sealed class ClaimLease : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task renewing;

    public ClaimLease(IIdempotencyStore store, string key, string owner, TimeSpan lease, TimeProvider time, ILogger logger) =>
        renewing = RenewAsync(store, key, owner, lease, time, logger);

    private async Task RenewAsync(IIdempotencyStore store, string key, string owner, TimeSpan lease, TimeProvider time, ILogger logger)
    {
        using var timer = new PeriodicTimer(lease / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                try
                {
                    if (!await store.RenewAsync(key, owner, time.GetUtcNow() + lease, stop.Token))
                    {
                        logger.LogWarning("An Idempotency-Key claim was taken over while its request still ran");
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Could not renew an Idempotency-Key claim; it runs out unless a later renewal succeeds");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops renewing; called before the claim is completed or released, and again (harmlessly) on dispose.</summary>
    public async Task StopAsync()
    {
        if (!stop.IsCancellationRequested)
        {
            await stop.CancelAsync();
        }

        await renewing;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        stop.Dispose();
    }
}
