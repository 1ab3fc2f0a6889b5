using ImageService.Core;
using ImageService.Core.Ports;
using ImageService.Core.Uploads;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local;

/// <summary>Direct uploads in a table of the index's SQLite file; each change is one conditional statement.</summary>
public sealed class SqliteDirectUploadStore : IDirectUploadStore
{
    /// <summary>SQLite has no TTL: each add deletes a few uploads a day past their last chance to complete, oldest first,
    /// more than an add creates, through the index on <c>complete_by</c>.</summary>
    internal const string PurgeStatement = """
        DELETE FROM direct_uploads WHERE upload_id IN (
            SELECT upload_id FROM direct_uploads WHERE complete_by <= $before ORDER BY complete_by LIMIT 4)
        """;

    /// <summary>How long an upload is kept after its last chance to complete, so a late retry still learns what became of it.</summary>
    internal static readonly TimeSpan KeptAfter = TimeSpan.FromDays(1);

    private const string Columns =
        "upload_id, user_id, authenticated, metadata, size_bytes, content_type, sha256, created_at, expires_at, complete_by, image_id, failure_kind, failure_detail";

    private readonly SqliteDatabase database;
    private readonly TimeProvider time;

    public SqliteDirectUploadStore(string databasePath, TimeProvider? time = null)
    {
        this.time = time ?? TimeProvider.System;
        database = new SqliteDatabase(databasePath);
        using var connection = database.Open();
        SqliteDatabase.Execute(connection, """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS direct_uploads (
                upload_id      TEXT PRIMARY KEY,
                user_id        TEXT NOT NULL,
                authenticated  INTEGER NOT NULL,
                metadata       TEXT NOT NULL,
                size_bytes     INTEGER NOT NULL,
                content_type   TEXT NOT NULL,
                sha256         TEXT,
                created_at     INTEGER NOT NULL,
                expires_at     INTEGER NOT NULL,
                complete_by    INTEGER NOT NULL,
                image_id       TEXT,
                failure_kind   TEXT,
                failure_detail TEXT,
                completing_until INTEGER NOT NULL DEFAULT 0,
                completing_owner TEXT
            ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS direct_uploads_by_complete_by ON direct_uploads (complete_by);
            """);
        SqliteDatabase.AddMissingColumns(connection, "direct_uploads", Migrations);
    }

    /// <summary>Columns added after the table's first version, with the statement that adds each to an older database.</summary>
    private static readonly (string Column, string Statement)[] Migrations =
    [
        ("completing_until", "ALTER TABLE direct_uploads ADD COLUMN completing_until INTEGER NOT NULL DEFAULT 0"),
        ("completing_owner", "ALTER TABLE direct_uploads ADD COLUMN completing_owner TEXT"),
    ];

    public Task<bool> TryAddAsync(DirectUpload upload, CancellationToken cancellationToken) => SqliteFailures.Guard(async () =>
    {
        await using var connection = database.Open();
        await using (var purge = connection.CreateCommand())
        {
            purge.CommandText = PurgeStatement;
            purge.Parameters.AddWithValue("$before", (time.GetUtcNow() - KeptAfter).ToUnixTimeMilliseconds());
            await purge.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var insert = connection.CreateCommand();
        insert.CommandText = $"""
            INSERT INTO direct_uploads ({Columns})
            VALUES ($id, $user, $authenticated, $metadata, $size, $type, $sha256, $created, $expires, $complete_by, NULL, NULL, NULL)
            ON CONFLICT (upload_id) DO NOTHING
            """;
        insert.Parameters.AddWithValue("$id", upload.UploadId.ToString("D"));
        insert.Parameters.AddWithValue("$user", upload.UserId);
        insert.Parameters.AddWithValue("$authenticated", upload.Authenticated ? 1 : 0);
        insert.Parameters.AddWithValue("$metadata", upload.MetadataJson);
        insert.Parameters.AddWithValue("$size", upload.SizeBytes);
        insert.Parameters.AddWithValue("$type", upload.ContentType);
        insert.Parameters.AddWithValue("$sha256", (object?)upload.Sha256 ?? DBNull.Value);
        insert.Parameters.AddWithValue("$created", upload.CreatedAt.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$expires", upload.ExpiresAt.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$complete_by", upload.CompleteBy.ToUnixTimeMilliseconds());
        return await insert.ExecuteNonQueryAsync(cancellationToken) == 1;
    });

    public Task<DirectUpload?> GetAsync(Guid uploadId, CancellationToken cancellationToken) => SqliteFailures.Guard(async () =>
    {
        await using var connection = database.Open();
        return await ReadAsync(connection, uploadId, cancellationToken);
    });

    public Task<bool> TryMarkCompletingAsync(Guid uploadId, string owner, DateTimeOffset until, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync(uploadId, """
            UPDATE direct_uploads SET completing_until = $until, completing_owner = $owner
            WHERE upload_id = $id AND image_id IS NULL AND failure_kind IS NULL AND (completing_until <= $now OR completing_owner = $owner)
            """, command =>
        {
            command.Parameters.AddWithValue("$owner", owner);
            command.Parameters.AddWithValue("$until", until.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        }, cancellationToken);

    public Task ReleaseCompletingAsync(Guid uploadId, string owner, CancellationToken cancellationToken) =>
        ExecuteAsync(uploadId, "UPDATE direct_uploads SET completing_until = 0 WHERE upload_id = $id AND completing_owner = $owner",
            command => command.Parameters.AddWithValue("$owner", owner), cancellationToken);

    /// <summary>One statement on the upload; true when it changed the row.</summary>
    private Task<bool> ExecuteAsync(Guid uploadId, string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken) =>
        SqliteFailures.Guard(async () =>
        {
            await using var connection = database.Open();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Parameters.AddWithValue("$id", uploadId.ToString("D"));
            bind(command);
            return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
        });

    public Task<bool> CompleteAsync(Guid uploadId, Guid imageId, CancellationToken cancellationToken) =>
        ChangeAsync(uploadId, "UPDATE direct_uploads SET image_id = $image WHERE upload_id = $id AND image_id IS NULL AND failure_kind IS NULL",
            command => command.Parameters.AddWithValue("$image", imageId.ToString("D")),
            stored => stored.ImageId == imageId, cancellationToken);

    public Task<bool> FailAsync(Guid uploadId, DirectUploadFailure failure, CancellationToken cancellationToken) =>
        ChangeAsync(uploadId,
            "UPDATE direct_uploads SET failure_kind = $kind, failure_detail = $detail WHERE upload_id = $id AND image_id IS NULL AND failure_kind IS NULL",
            command =>
            {
                command.Parameters.AddWithValue("$kind", failure.Kind.ToString());
                command.Parameters.AddWithValue("$detail", failure.Detail);
            },
            stored => stored.Failure is not null, cancellationToken);

    /// <summary>One conditional statement; when it changes nothing, the upload is read back and <paramref name="landed"/>
    /// says whether it already holds what the statement writes.</summary>
    private async Task<bool> ChangeAsync(
        Guid uploadId, string sql, Action<SqliteCommand> bind, Func<DirectUpload, bool> landed, CancellationToken cancellationToken) =>
        await ExecuteAsync(uploadId, sql, bind, cancellationToken)
        || await GetAsync(uploadId, cancellationToken) is { } stored && landed(stored);

    private static async Task<DirectUpload?> ReadAsync(SqliteConnection connection, Guid uploadId, CancellationToken cancellationToken)
    {
        await using var read = connection.CreateCommand();
        read.CommandText = $"SELECT {Columns} FROM direct_uploads WHERE upload_id = $id";
        read.Parameters.AddWithValue("$id", uploadId.ToString("D"));
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new DirectUpload(
            Guid.Parse(reader.GetString(0)),
            reader.GetString(1),
            reader.GetInt64(2) == 1,
            reader.GetString(3),
            reader.GetInt64(4),
            reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7)),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(8)),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)))
        {
            ImageId = reader.IsDBNull(10) ? null : Guid.Parse(reader.GetString(10)),
            Failure = reader.IsDBNull(11) ? null : new DirectUploadFailure(Enum.Parse<ImageErrorKind>(reader.GetString(11)), reader.GetString(12)),
        };
    }
}
