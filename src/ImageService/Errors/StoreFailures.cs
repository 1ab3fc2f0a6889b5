using Amazon.Runtime;
using Microsoft.Data.Sqlite;

namespace ImageService.Errors;

/// <summary>Failures that mean "a store is unavailable for now" (worth a retry) rather than a bug.</summary>
internal static class StoreFailures
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    public static bool IsUnavailable(Exception exception) => exception switch
    {
        TimeoutException or TaskCanceledException { InnerException: TimeoutException } => true,
        HttpRequestException => true,
        AmazonServiceException aws => (int)aws.StatusCode >= 500 || aws.ErrorCode is "ThrottlingException" or "ProvisionedThroughputExceededException" or "SlowDown" or "RequestLimitExceeded",
        AmazonClientException => true,
        SqliteException sqlite => sqlite.SqliteErrorCode is SqliteBusy or SqliteLocked,
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };
}
