using System.Text.Json;
using ImageService.Core.Images;
using ImageService.Core.Listing;
using ImageService.Core.Ports;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local;

/// <summary>
/// The index in one SQLite file (WAL journal, default FULL sync: an acknowledged upload survives a crash).
/// Images are listed by keyset over (created_at, image_id) on indexes kept in that order, so page 1,000
/// costs what page 1 costs: one index range read plus a primary-key lookup per row returned. Tags live in their own table with the sort key copied
/// in, so a tag filter (with or without a user) is one index range scan too.
/// </summary>
public sealed class SqliteImageIndex : IImageIndex
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly string connectionString;

    public SqliteImageIndex(string databasePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(databasePath))!);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = SqliteSchema.Create;
        command.ExecuteNonQuery();
    }

    public async Task<bool> TryAddAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO images (image_id, user_id, caption, tags, created_at, width, height, content_type, size_bytes, sha256, variants)
            VALUES ($id, $user, $caption, $tags, $created, $width, $height, $type, $size, $sha, $variants)
            ON CONFLICT (image_id) DO NOTHING
            """;
        insert.Parameters.AddWithValue("$id", Id(record.ImageId));
        insert.Parameters.AddWithValue("$user", record.UserId);
        insert.Parameters.AddWithValue("$caption", record.Caption);
        insert.Parameters.AddWithValue("$tags", JsonSerializer.Serialize(record.Tags, Json));
        insert.Parameters.AddWithValue("$created", record.CreatedAt.ToUnixTimeMilliseconds());
        insert.Parameters.AddWithValue("$width", record.Width);
        insert.Parameters.AddWithValue("$height", record.Height);
        insert.Parameters.AddWithValue("$type", record.ContentType);
        insert.Parameters.AddWithValue("$size", record.SizeBytes);
        insert.Parameters.AddWithValue("$sha", record.Sha256);
        insert.Parameters.AddWithValue("$variants", JsonSerializer.Serialize(record.Variants, Json));
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

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

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<ImageRecord?> GetAsync(Guid imageId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SqliteSchema.Columns} FROM images i WHERE i.image_id = $id";
        command.Parameters.AddWithValue("$id", Id(imageId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<ImageRecord>> ListAsync(IndexQuery query, CancellationToken cancellationToken)
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

    public async Task<bool> RemoveAsync(Guid imageId, CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var transaction = connection.BeginTransaction();
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM image_tags WHERE image_id = $id; DELETE FROM images WHERE image_id = $id;";
        command.Parameters.AddWithValue("$id", Id(imageId));
        await command.ExecuteNonQueryAsync(cancellationToken);
        await using var changes = connection.CreateCommand();
        changes.Transaction = transaction;
        changes.CommandText = "SELECT changes()";
        var removed = (long)(await changes.ExecuteScalarAsync(cancellationToken))! > 0;
        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        await using var connection = Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'images'";
        if ((long)(await command.ExecuteScalarAsync(cancellationToken))! != 1)
        {
            throw new InvalidOperationException("The SQLite index has no 'images' table.");
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    private static string Id(Guid imageId) => imageId.ToString("D");

    private static ImageRecord Read(SqliteDataReader reader) => new(
        Guid.Parse(reader.GetString(0)),
        reader.GetString(1),
        reader.GetString(2),
        JsonSerializer.Deserialize<List<string>>(reader.GetString(3), Json) ?? [],
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        reader.GetInt32(5),
        reader.GetInt32(6),
        reader.GetString(7),
        reader.GetInt64(8),
        reader.GetString(9),
        JsonSerializer.Deserialize<List<StoredVariant>>(reader.GetString(10), Json) ?? []);
}
