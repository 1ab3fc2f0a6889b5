using ImageService.Core.Images;
using ImageService.Core.Listing;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local.Tests;

public sealed class SqliteMigrationTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("migration-").FullName;

    [Fact]
    public async Task An_index_from_the_first_release_opens_with_its_images_committed_and_listable()
    {
        var database = Path.Combine(root, "index.db");
        var id = Guid.NewGuid();
        await using (var connection = new SqliteConnection($"Data Source={database}"))
        {
            // The schema as the first release wrote it: no state columns.
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"""
                CREATE TABLE images (image_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, caption TEXT NOT NULL, tags TEXT NOT NULL,
                    created_at INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL, content_type TEXT NOT NULL,
                    size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, variants TEXT NOT NULL) WITHOUT ROWID;
                INSERT INTO images VALUES ('{id:D}', 'old', 'from before', '["travel"]', 1700000000000, 10, 10, 'image/jpeg', 5, 'abc', '[]');
                """;
            await command.ExecuteNonQueryAsync();
        }

        var index = new SqliteImageIndex(database);

        var record = await index.GetAsync(id, default);
        Assert.Equal(ImageState.Committed, record!.State);
        Assert.Equal([id], (await index.ListAsync(new IndexQuery("old", null, 10), default)).Select(r => r.ImageId));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }
}
