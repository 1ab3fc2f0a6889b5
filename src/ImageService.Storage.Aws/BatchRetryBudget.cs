using ImageService.Core;

namespace ImageService.Storage.Aws;

/// <summary>
/// How long a batch call keeps retrying the keys or items DynamoDB left unprocessed (it does so when throttled):
/// at most <see cref="MaxAttempts"/> requests per chunk, waiting a random time up to an exponentially growing,
/// capped delay between them (full jitter, so throttled callers spread out instead of retrying in step).
/// With the defaults a chunk gives up after about 3.5 s at worst, even under <see cref="CancellationToken.None"/>.
/// </summary>
public sealed record BatchRetryBudget(int MaxAttempts = 8, TimeSpan? BaseDelay = null, TimeSpan? MaxDelay = null)
{
    private TimeSpan Base => BaseDelay ?? TimeSpan.FromMilliseconds(50);

    private TimeSpan Cap => MaxDelay ?? TimeSpan.FromSeconds(1);

    /// <summary>Waits before request number <paramref name="attempt"/> (from 0), or throws when the budget is spent.</summary>
    public Task BeforeAttemptAsync(int attempt, string what, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (attempt == 0)
        {
            return Task.CompletedTask;
        }

        if (attempt >= MaxAttempts)
        {
            throw new StoreUnavailableException($"DynamoDB left {what} unprocessed after {MaxAttempts} attempts: the table is throttled.");
        }

        var ceiling = Math.Min(Cap.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling), cancellationToken);
    }
}
