using ImageService.Testing.Contracts;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local.Tests;

/// <summary>The placeholder backfill on a folder and a SQLite file.</summary>
public sealed class LocalPlaceholderBackfillTests : PlaceholderBackfillContract
{
    private readonly string root = Directory.CreateTempSubdirectory("backfill-").FullName;

    private string DatabasePath => Path.Combine(root, "index.db");

    protected override Task<Stores> CreateStoresAsync() => Task.FromResult(Reopen());

    protected override Stores Reopen()
    {
        var index = new SqliteImageIndex(DatabasePath);
        return new Stores(index, index, new FileSystemBlobStore(root));
    }

    protected override async Task ChangeCaptionDirectlyAsync(Guid imageId, string caption)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE images SET caption = $caption WHERE image_id = $id";
        command.Parameters.AddWithValue("$caption", caption);
        command.Parameters.AddWithValue("$id", imageId.ToString("D"));
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    protected override async Task<Guid> AddBrokenRecordDirectlyAsync()
    {
        var imageId = Guid.NewGuid();
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO images (image_id, user_id, caption, tags, created_at, width, height, content_type, size_bytes, sha256, variants, state, state_changed_at)
            VALUES ($id, 'u', '', '[]', 0, 10, 10, 'image/jpeg', 1, 'x', 'not json', 'committed', 0)
            """;
        command.Parameters.AddWithValue("$id", imageId.ToString("D"));
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
        return imageId;
    }

    protected override Task DestroyStoresAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }
}
