using ImageService.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local;

/// <summary>Idempotency-Key claims in a table of the index's SQLite file; each change is one conditional statement.</summary>
public sealed class SqliteIdempotencyStore : IIdempotencyStore
{
    /// <summary>Columns added after the first release, with the statement that adds each to an older database.
    /// An older started claim has no lease, so it counts as run out at once.</summary>
    private static readonly (string Column, string Statement)[] Migrations =
    [
        ("owner", "ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT ''"),
        ("lease_until", "ALTER TABLE idempotency_keys ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0"),
    ];

    /// <summary>See <see cref="PurgeAsync"/>; read through the index on <c>expires_at</c>, never the whole table.</summary>
    internal const string PurgeStatement = """
        DELETE FROM idempotency_keys WHERE key IN (
            SELECT key FROM idempotency_keys
            WHERE expires_at <= $now AND (state <> 'started' OR (image_id IS NULL AND lease_until <= $now))
            ORDER BY expires_at LIMIT 4)
        """;

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
                expires_at  INTEGER NOT NULL,
                owner       TEXT NOT NULL DEFAULT '',
                lease_until INTEGER NOT NULL DEFAULT 0
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at);
            """);
        SqliteDatabase.AddMissingColumns(connection, "idempotency_keys", Migrations);
    }

    public Task<IdempotencyClaim> TryClaimAsync(
        string key, string fingerprint, string owner, DateTimeOffset now, DateTimeOffset leaseUntil, DateTimeOffset expiresAt,
        CancellationToken cancellationToken) => SqliteFailures.Guard(async () =>
    {
        await using var connection = Open();
        await PurgeAsync(connection, now, cancellationToken);
        // Twice at most: a claim released between the failed upsert and the read-back leaves nothing to read.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await using var claim = connection.CreateCommand();
            // A new key or an expired one starts afresh, unless a live request still holds it (its lease outlives the
            // key's lifetime: starting afresh then would let both requests make an image); a started one whose lease
            // ran out, with the same body, is taken over and keeps the image id its abandoned request recorded.
            claim.CommandText = """
                INSERT INTO idempotency_keys (key, fingerprint, state, image_id, claimed_at, expires_at, owner, lease_until)
                VALUES ($key, $fingerprint, 'started', NULL, $now, $expires, $owner, $lease)
                ON CONFLICT (key) DO UPDATE SET
                    image_id = CASE WHEN idempotency_keys.expires_at <= $now
                                         AND (idempotency_keys.state <> 'started' OR idempotency_keys.fingerprint <> excluded.fingerprint)
                                    THEN NULL ELSE idempotency_keys.image_id END,
                    fingerprint = excluded.fingerprint, state = 'started', owner = excluded.owner,
                    claimed_at = excluded.claimed_at, expires_at = excluded.expires_at, lease_until = excluded.lease_until
                WHERE (idempotency_keys.expires_at <= $now
                       AND NOT (idempotency_keys.state = 'started' AND idempotency_keys.lease_until > $now))
                   OR (idempotency_keys.state = 'started' AND idempotency_keys.lease_until <= $now
                       AND idempotency_keys.fingerprint = excluded.fingerprint)
                RETURNING image_id
                """;
            claim.Parameters.AddWithValue("$key", key);
            claim.Parameters.AddWithValue("$fingerprint", fingerprint);
            claim.Parameters.AddWithValue("$owner", owner);
            claim.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
            claim.Parameters.AddWithValue("$lease", leaseUntil.ToUnixTimeMilliseconds());
            claim.Parameters.AddWithValue("$expires", expiresAt.ToUnixTimeMilliseconds());
            await using (var won = await claim.ExecuteReaderAsync(cancellationToken))
            {
                if (await won.ReadAsync(cancellationToken))
                {
                    return new IdempotencyClaim(IdempotencyOutcome.Claimed, won.IsDBNull(0) ? null : Guid.Parse(won.GetString(0)));
                }
            }

            if (await ReadAsync(connection, key, cancellationToken) is { } existing)
            {
                return IdempotencyClaim.ReadBack(owner, fingerprint, existing.Owner, existing.Fingerprint, existing.State == "started", existing.ImageId);
            }
        }

        return new IdempotencyClaim(IdempotencyOutcome.InProgress);
    });

    /// <summary>
    /// SQLite has no TTL: each claim deletes a few keys past their lifetime, oldest first, more than a claim can
    /// add, so the table holds about the keys of one lifetime. Deleted are only keys a claim would start afresh
    /// anyway: completed ones, and started ones with no image and no live lease. A started key with an image is
    /// kept for the takeover that must settle that image.
    /// </summary>
    private static async Task PurgeAsync(SqliteConnection connection, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var purge = connection.CreateCommand();
        purge.CommandText = PurgeStatement;
        purge.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        await purge.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task<bool> RenewAsync(string key, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        ChangeAsync(key, owner, "UPDATE idempotency_keys SET lease_until = $lease WHERE key = $key AND owner = $owner AND state = 'started'",
            command => command.Parameters.AddWithValue("$lease", leaseUntil.ToUnixTimeMilliseconds()),
            stored => stored is { State: "started" } && stored.LeaseUntil == leaseUntil.ToUnixTimeMilliseconds(), cancellationToken);

    public Task<bool> RecordImageAsync(string key, string owner, Guid imageId, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        ChangeAsync(key, owner,
            "UPDATE idempotency_keys SET image_id = $id, lease_until = $lease WHERE key = $key AND owner = $owner AND state = 'started'",
            command =>
            {
                command.Parameters.AddWithValue("$id", imageId.ToString("D"));
                command.Parameters.AddWithValue("$lease", leaseUntil.ToUnixTimeMilliseconds());
            },
            stored => stored is { State: "started" } && stored.ImageId == imageId, cancellationToken);

    public Task<bool> CompleteAsync(string key, string owner, Guid imageId, CancellationToken cancellationToken) =>
        ChangeAsync(key, owner,
            "UPDATE idempotency_keys SET state = 'completed', image_id = $id WHERE key = $key AND owner = $owner AND state = 'started'",
            command => command.Parameters.AddWithValue("$id", imageId.ToString("D")),
            stored => stored is { State: "completed" } && stored.ImageId == imageId, cancellationToken);

    public Task<bool> ReleaseAsync(string key, string owner, CancellationToken cancellationToken) =>
        ChangeAsync(key, owner, "DELETE FROM idempotency_keys WHERE key = $key AND owner = $owner AND state = 'started'", _ => { },
            stored => stored is null, cancellationToken, anyOwner: true);

    /// <summary>
    /// One conditional statement on the owner's claim. When it changes nothing, the claim is read back and
    /// <paramref name="landed"/> says whether it already holds what the statement writes. For the owner's claim that
    /// is the case; <paramref name="anyOwner"/> also accepts a claim now held by nobody (released already).
    /// </summary>
    private Task<bool> ChangeAsync(
        string key, string owner, string sql, Action<SqliteCommand> bind, Func<Stored?, bool> landed, CancellationToken cancellationToken,
        bool anyOwner = false) => SqliteFailures.Guard(async () =>
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$owner", owner);
        bind(command);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return true;
        }

        var stored = await ReadAsync(connection, key, cancellationToken);
        return (stored is null ? anyOwner : stored.Owner == owner) && landed(stored);
    });

    private static async Task<Stored?> ReadAsync(SqliteConnection connection, string key, CancellationToken cancellationToken)
    {
        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT fingerprint, state, image_id, owner, lease_until FROM idempotency_keys WHERE key = $key";
        read.Parameters.AddWithValue("$key", key);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Stored(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : Guid.Parse(reader.GetString(2)),
                reader.GetString(3), reader.GetInt64(4))
            : null;
    }

    private SqliteConnection Open() => database.Open();

    private sealed record Stored(string Fingerprint, string State, Guid? ImageId, string Owner, long LeaseUntil);
}
