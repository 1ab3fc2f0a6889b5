using ImageService.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local.Tests;

/// <summary>A database written before claims had owners and leases still opens, and its old claims behave.</summary>
public sealed class SqliteIdempotencyMigrationTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string root = Directory.CreateTempSubdirectory("idem-migration-").FullName;

    [Fact]
    public async Task An_old_started_claim_can_be_taken_over_and_an_old_completed_one_still_replays()
    {
        var path = Path.Combine(root, "index.db");
        var image = Guid.NewGuid();
        await using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"""
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, state TEXT NOT NULL, image_id TEXT,
                    claimed_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO idempotency_keys VALUES ('started', 'body', 'started', NULL, {Now.ToUnixTimeMilliseconds()}, {Now.AddDays(1).ToUnixTimeMilliseconds()});
                INSERT INTO idempotency_keys VALUES ('done', 'body', 'completed', '{image:D}', {Now.ToUnixTimeMilliseconds()}, {Now.AddDays(1).ToUnixTimeMilliseconds()});
                """;
            await command.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        var store = new SqliteIdempotencyStore(path);

        Assert.Equal(IdempotencyOutcome.Claimed, (await ClaimAsync(store, "started")).Outcome);
        Assert.Equal(new IdempotencyClaim(IdempotencyOutcome.Completed, image), await ClaimAsync(store, "done"));
        Assert.True(await store.CompleteAsync("started", "new-owner", Guid.NewGuid(), default));
    }

    private static Task<IdempotencyClaim> ClaimAsync(IIdempotencyStore store, string key) =>
        store.TryClaimAsync(key, "body", "new-owner", Now.AddSeconds(1), Now.AddSeconds(11), Now.AddDays(1), default);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }
}
