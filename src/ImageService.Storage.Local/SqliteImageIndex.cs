using System.Runtime.CompilerServices;
using System.Text.Json;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local;

/// <summary>
/// The index in one SQLite file (WAL journal, default FULL sync: an acknowledged upload survives a crash).
/// Images are listed by keyset over (created_at, image_id) on indexes kept in that order, so page 1,000
/// costs what page 1 costs: one index range read plus a primary-key lookup per row returned. Tags live in
/// their own table with the sort key copied in, so a tag filter (with or without a user) is one index range
/// read too. Only committed records are listed.
/// </summary>
public sealed partial class SqliteImageIndex : IImageIndex
{
    private readonly SqliteDatabase database;

    public SqliteImageIndex(string databasePath)
    {
        database = new SqliteDatabase(databasePath);
        using var connection = Open();
        Execute(connection, SqliteSchema.Create);
        SqliteDatabase.AddMissingColumns(connection, "images", SqliteSchema.Migrations);

        Execute(connection, SqliteSchema.CreateLate);
    }

    // Each port call runs under the guard, so a busy or locked database reaches the host as StoreUnavailableException.
    public Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken) => SqliteFailures.Guard(() => TryAddCoreAsync(record, cancellationToken));

    public Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken) => SqliteFailures.Guard(() => GetCoreAsync(imageId, cancellationToken));

    public Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken) => SqliteFailures.Guard(() => ListCoreAsync(query, cancellationToken));

    public Task<bool> TransitionAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken) => SqliteFailures.Guard(() => TransitionCoreAsync(imageId, from, to, at, cancellationToken));

    public Task<bool> RemoveAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken) => SqliteFailures.Guard(() => RemoveCoreAsync(imageId, expected, cancellationToken));

    public Task<ImageRecord?> TryEditAsync(ImageRecord current, ImageRecord edited, CancellationToken cancellationToken) =>
        SqliteFailures.Guard(() => TryEditCoreAsync(edited, current.Version, cancellationToken));

    /// <summary>Nothing to settle: an edit's record and tag rows change in one transaction.</summary>
    public Task<int> SettleEditsAsync(DateTimeOffset before, CancellationToken cancellationToken) => Task.FromResult(0);

    public Task SettleEditAsync(Guid imageId, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ProbeAsync(CancellationToken cancellationToken) => SqliteFailures.Guard(async () =>
    {
        await ProbeCoreAsync(cancellationToken);
        return true;
    });

    private async Task<bool> TryAddCoreAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO images (image_id, user_id, caption, tags, created_at, width, height, content_type, size_bytes, sha256, variants, state, state_changed_at, alt_text, placeholder, dominant_color)
            VALUES ($id, $user, $caption, $tags, $created, $width, $height, $type, $size, $sha, $variants, $state, $changed, $alt, $placeholder, $color)
            ON CONFLICT (image_id) DO NOTHING
            """;
        insert.Parameters.AddWithValue("$id", Id(record.ImageId));
        insert.Parameters.AddWithValue("$user", record.UserId);
        insert.Parameters.AddWithValue("$caption", record.Caption);
        insert.Parameters.AddWithValue("$alt", (object?)record.AltText ?? DBNull.Value);
        insert.Parameters.AddWithValue("$placeholder", (object?)record.Placeholder ?? DBNull.Value);
        insert.Parameters.AddWithValue("$color", (object?)record.DominantColor ?? DBNull.Value);
        insert.Parameters.AddWithValue("$tags", JsonSerializer.Serialize(record.Tags, LocalJsonContext.Default.IReadOnlyListString));
        insert.Parameters.AddWithValue("$created", record.CreatedAt.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$width", record.Width);
        insert.Parameters.AddWithValue("$height", record.Height);
        insert.Parameters.AddWithValue("$type", record.ContentType);
        insert.Parameters.AddWithValue("$size", record.SizeBytes);
        insert.Parameters.AddWithValue("$sha", record.Sha256);
        insert.Parameters.AddWithValue("$variants", JsonSerializer.Serialize(record.Variants, LocalJsonContext.Default.IReadOnlyListStoredVariant));
        insert.Parameters.AddWithValue("$state", StateName(record.State));
        insert.Parameters.AddWithValue("$changed", record.StateChangedAt.ToUnixTimeMilliseconds());
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await InsertTagsAsync(connection, transaction, record, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task InsertTagsAsync(SqliteConnection connection, SqliteTransaction transaction, ImageRecord record, CancellationToken cancellationToken)
    {
        foreach (var tag in record.Tags)
        {
            await using var tagInsert = connection.CreateCommand();
            tagInsert.Transaction = transaction;
            tagInsert.CommandText = "INSERT INTO image_tags (tag, user_id, created_at, image_id) VALUES ($tag, $user, $created, $id)";
            tagInsert.Parameters.AddWithValue("$tag", tag);
            tagInsert.Parameters.AddWithValue("$user", record.UserId);
            tagInsert.Parameters.AddWithValue("$created", record.CreatedAt.ToUnixTimeMilliseconds());
            tagInsert.Parameters.AddWithValue("$id", Id(record.ImageId));
            await tagInsert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private async Task<ImageRecord?> GetCoreAsync(Guid imageId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SqliteSchema.Columns} FROM images i WHERE i.image_id = $id";
        command.Parameters.AddWithValue("$id", Id(imageId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private async Task<IReadOnlyList<ImageRecord>> ListCoreAsync(IndexQuery query, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.ListQuery(query);
        if (query.UserId is not null)
        {
            command.Parameters.AddWithValue("$user", query.UserId);
        }

        if (query.Tag is not null)
        {
            command.Parameters.AddWithValue("$tag", query.Tag);
        }

        if (query.After is not null)
        {
            command.Parameters.AddWithValue("$after_created", query.After.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$after_id", Id(query.After.ImageId));
        }

        command.Parameters.AddWithValue("$limit", query.Limit);
        var records = new List<ImageRecord>(query.Limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(Read(reader));
        }

        return records;
    }

    private async Task<bool> TransitionCoreAsync(Guid imageId, ImageState from, ImageState to, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE images SET state = $to, state_changed_at = $at WHERE image_id = $id AND state = $from";
        command.Parameters.AddWithValue("$id", Id(imageId));
        command.Parameters.AddWithValue("$from", StateName(from));
        command.Parameters.AddWithValue("$to", StateName(to));
        command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private async Task<ImageRecord?> TryEditCoreAsync(ImageRecord edited, long expectedVersion, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var transaction = connection.BeginTransaction();
        await using (var update = connection.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE images SET caption = $caption, tags = $tags, alt_text = $alt, updated_at = $updated, version = $expected + 1
                WHERE image_id = $id AND state = 'committed' AND version = $expected
                """;
            update.Parameters.AddWithValue("$id", Id(edited.ImageId));
            update.Parameters.AddWithValue("$caption", edited.Caption);
            update.Parameters.AddWithValue("$tags", JsonSerializer.Serialize(edited.Tags, LocalJsonContext.Default.IReadOnlyListString));
            update.Parameters.AddWithValue("$alt", (object?)edited.AltText ?? DBNull.Value);
            update.Parameters.AddWithValue("$updated", edited.UpdatedAt.ToUnixTimeMilliseconds());
            update.Parameters.AddWithValue("$expected", expectedVersion);
            if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return null;
            }
        }

        // The tag rows carry the record's user and sort key, which an edit never changes: replace them all.
        await using (var clear = connection.CreateCommand())
        {
            clear.Transaction = transaction;
            clear.CommandText = "DELETE FROM image_tags WHERE image_id = $id";
            clear.Parameters.AddWithValue("$id", Id(edited.ImageId));
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        ImageRecord? stored;
        await using (var select = connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = $"SELECT {SqliteSchema.Columns} FROM images i WHERE i.image_id = $id";
            select.Parameters.AddWithValue("$id", Id(edited.ImageId));
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            stored = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        await InsertTagsAsync(connection, transaction, stored!, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return stored;
    }

    private async Task<bool> RemoveCoreAsync(Guid imageId, ImageState expected, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var transaction = connection.BeginTransaction();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM images WHERE image_id = $id AND state = $state";
        command.Parameters.AddWithValue("$id", Id(imageId));
        command.Parameters.AddWithValue("$state", StateName(expected));
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        await using var tags = connection.CreateCommand();
        tags.Transaction = transaction;
        tags.CommandText = "DELETE FROM image_tags WHERE image_id = $id";
        tags.Parameters.AddWithValue("$id", Id(imageId));
        await tags.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async IAsyncEnumerable<ImageRecord> ListUnsettledAsync(DateTimeOffset before, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SqliteSchema.Columns} FROM images i WHERE i.state <> 'committed' AND i.state_changed_at < $before";
        command.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        await using var reader = await SqliteFailures.Guard(() => command.ExecuteReaderAsync(cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Read(reader);
        }
    }

    public Task<OrphanEntriesPage> RemoveOrphanEntriesAsync(string? from, int maxItems, CancellationToken cancellationToken) => SqliteFailures.Guard(async () =>
    {
        // Tags and records are written in one transaction, so this finds nothing unless the file was edited by hand.
        // A page is the tag rows of at most maxItems images, in image id order (the image_tags_by_image index).
        await using var connection = Open();
        var imageIds = new List<string>();
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT DISTINCT image_id FROM image_tags WHERE image_id > $from ORDER BY image_id LIMIT $limit";
            select.Parameters.AddWithValue("$from", from ?? "");
            select.Parameters.AddWithValue("$limit", maxItems);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                imageIds.Add(reader.GetString(0));
            }
        }

        await using var delete = connection.CreateCommand();
        delete.CommandText = """
            DELETE FROM image_tags WHERE image_id IN (SELECT value FROM json_each($ids))
            AND image_id NOT IN (SELECT image_id FROM images)
            """;
        delete.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(imageIds, LocalJsonContext.Default.ListString));
        var removed = await delete.ExecuteNonQueryAsync(cancellationToken);
        return new OrphanEntriesPage(imageIds.Count, removed, imageIds.Count == maxItems ? imageIds[^1] : null);
    });

    private async Task ProbeCoreAsync(CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'images'";
        if ((long)(await command.ExecuteScalarAsync(cancellationToken))! != 1)
        {
            throw new InvalidOperationException("The SQLite index has no 'images' table.");
        }
    }

    private SqliteConnection Open() => database.Open();

    private static string Id(Guid imageId) => imageId.ToString("D");

    private static ImageRecord Read(SqliteDataReader reader) => new(
        Guid.Parse(reader.GetString(0)),
        reader.GetString(1),
        reader.GetString(2),
        JsonSerializer.Deserialize(reader.GetString(3), LocalJsonContext.Default.ListString) ?? [],
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        reader.GetInt32(5),
        reader.GetInt32(6),
        reader.GetString(7),
        reader.GetInt64(8),
        reader.GetString(9),
        JsonSerializer.Deserialize(reader.GetString(10), LocalJsonContext.Default.ListStoredVariant) ?? [])
    {
        State = Enum.Parse<ImageState>(reader.GetString(11), ignoreCase: true),
        StateChangedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(12)),
        AltText = reader.IsDBNull(13) ? null : reader.GetString(13),
        Placeholder = reader.IsDBNull(14) ? null : reader.GetString(14),
        DominantColor = reader.IsDBNull(15) ? null : reader.GetString(15),
        Version = reader.GetInt64(16),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.IsDBNull(17) ? reader.GetInt64(4) : reader.GetInt64(17)),
    };

    private static string StateName(ImageState state) => state.ToString().ToLowerInvariant();

    private static void Execute(SqliteConnection connection, string sql) => SqliteDatabase.Execute(connection, sql);
}
