using ImageService.Core;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local;

/// <summary>SQLite failures that mean "unavailable for now" rather than a bug: another writer holds the lock, or the
/// disk is full.</summary>
internal static class SqliteFailures
{
    private const int Busy = 5;
    private const int Locked = 6;
    private const int Full = 13;

    public static bool IsTransient(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: Busy or Locked or Full } || exception.InnerException is { } inner && IsTransient(inner);

    /// <summary>Runs one database call, turning a busy, locked or full database into <see cref="StoreUnavailableException"/>.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not StoreUnavailableException && IsTransient(e))
        {
            throw new StoreUnavailableException($"The SQLite index is unavailable: {e.Message}", e);
        }
    }
}
