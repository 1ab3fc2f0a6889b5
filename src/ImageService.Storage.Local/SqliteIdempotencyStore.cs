using ImageService.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local;

/// <summary>Idempotency-Key claims in a table of the index's SQLite file; each claim is one conditional upsert.</summary>
public sealed class SqliteIdempotencyStore : IIdempotencyStore
{
    private readonly SqliteDatabase database;

    public SqliteIdempotencyStore(string databasePath)
    {
        database = new SqliteDatabase(databasePath);
        using var connection = Open();
        SqliteDatabase.Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS idempotency_keys (
                key         TEXT PRIMARY KEY,
                fingerprint TEXT NOT NULL,
                state       TEXT NOT NULL,
                image_id    TEXT,
                claimed_at  INTEGER NOT NULL,
                expires_at  INTEGER NOT NULL
            ) WITHOUT ROWID;
            """);
    }

    public async Task<IdempotencyClaim> TryClaimAsync(
        string key, string fingerprint, DateTimeOffset now, DateTimeOffset expiresAt, DateTimeOffset abandonedBefore, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var claim = connection.CreateCommand();
        // A new key, an expired one, or one whose request was abandoned with the same body becomes ours.
        claim.CommandText = """
            INSERT INTO idempotency_keys (key, fingerprint, state, image_id, claimed_at, expires_at)
            VALUES ($key, $fingerprint, 'started', NULL, $now, $expires)
            ON CONFLICT (key) DO UPDATE SET
                fingerprint = excluded.fingerprint, state = 'started', image_id = NULL,
                claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
            WHERE idempotency_keys.expires_at <= $now
               OR (idempotency_keys.state = 'started' AND idempotency_keys.claimed_at < $abandoned
                   AND idempotency_keys.fingerprint = excluded.fingerprint)
            """;
        claim.Parameters.AddWithValue("$key", key);
        claim.Parameters.AddWithValue("$fingerprint", fingerprint);
        claim.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        claim.Parameters.AddWithValue("$expires", expiresAt.ToUnixTimeMilliseconds());
        claim.Parameters.AddWithValue("$abandoned", abandonedBefore.ToUnixTimeMilliseconds());
        if (await claim.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return new IdempotencyClaim(IdempotencyOutcome.Claimed);
        }

        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT fingerprint, state, image_id FROM idempotency_keys WHERE key = $key";
        read.Parameters.AddWithValue("$key", key);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetString(0) != fingerprint ? new IdempotencyClaim(IdempotencyOutcome.Mismatch)
            : reader.GetString(1) == "started" ? new IdempotencyClaim(IdempotencyOutcome.InProgress)
            : new IdempotencyClaim(IdempotencyOutcome.Completed, Guid.Parse(reader.GetString(2)));
    }

    public async Task CompleteAsync(string key, Guid imageId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE idempotency_keys SET state = 'completed', image_id = $id WHERE key = $key AND state = 'started'";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$id", imageId.ToString("D"));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ReleaseAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM idempotency_keys WHERE key = $key AND state = 'started'";
        command.Parameters.AddWithValue("$key", key);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private SqliteConnection Open() => database.Open();
}
