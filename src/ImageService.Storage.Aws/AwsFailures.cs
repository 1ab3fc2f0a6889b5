using Amazon.Runtime;
using ImageService.Core;

namespace ImageService.Storage.Aws;

/// <summary>Which AWS SDK failures mean "unavailable for now" (worth a retry) rather than a bug or a client mistake.</summary>
internal static class AwsFailures
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        TimeoutException or TaskCanceledException { InnerException: TimeoutException } => true,
        HttpRequestException or IOException => true,
        AmazonServiceException aws => (int)aws.StatusCode >= 500
            || aws.ErrorCode is "ThrottlingException" or "ProvisionedThroughputExceededException" or "SlowDown" or "RequestLimitExceeded",
        AmazonClientException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };

    /// <summary>Runs one SDK call, turning its transient failures into <see cref="StoreUnavailableException"/>.</summary>
    public static async Task<T> Guard<T>(string store, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not StoreUnavailableException && IsTransient(e))
        {
            throw new StoreUnavailableException($"{store} is unavailable: {e.Message}", e);
        }
    }

    public static Task Guard(string store, Func<Task> call) => Guard(store, async () =>
    {
        await call();
        return true;
    });
}
