using ImageService.Core.Ports;
using ImageService.Testing;
using ImageService.Testing.Contracts;

namespace ImageService.Storage.Local.Tests;

public sealed class FileSystemBlobStoreContractTests : BlobStoreContract
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"blobs-{Guid.NewGuid():N}");

    protected override Task<IBlobStore> CreateStoreAsync() => Task.FromResult<IBlobStore>(new FileSystemBlobStore(root));

    protected override Task DestroyStoreAsync()
    {
        Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class SqliteImageIndexContractTests : ImageIndexContract
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"index-{Guid.NewGuid():N}");

    protected override Task<IImageIndex> CreateIndexAsync() =>
        Task.FromResult<IImageIndex>(new SqliteImageIndex(Path.Combine(root, "index.db")));

    protected override Task DestroyIndexAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class SqliteIdempotencyStoreContractTests : IdempotencyStoreContract, IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"idem-{Guid.NewGuid():N}");

    protected override Task<IIdempotencyStore> CreateStoreAsync() =>
        Task.FromResult<IIdempotencyStore>(new SqliteIdempotencyStore(Path.Combine(root, "index.db")));

    [Fact]
    public async Task Keys_past_their_lifetime_are_purged_by_later_claims_so_the_table_does_not_grow_forever()
    {
        // SQLite has no TTL: without a purge every keyed upload leaves a row for good.
        var start = DateTimeOffset.UtcNow;
        for (var i = 0; i < 20; i++)
        {
            var key = $"old-{i}";
            Assert.Equal(IdempotencyOutcome.Claimed,
                (await Store.TryClaimAsync(key, "body", "a", start, start.AddSeconds(10), start.AddSeconds(60), default)).Outcome);
            Assert.True(await Store.CompleteAsync(key, "a", Guid.NewGuid(), default));
        }

        var stalled = await Store.TryClaimAsync("stalled", "body", "b", start, start.AddSeconds(10), start.AddSeconds(60), default);
        Assert.True(await Store.RecordImageAsync("stalled", "b", Guid.NewGuid(), start.AddSeconds(10), default));
        var later = start.AddSeconds(61);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(IdempotencyOutcome.Claimed,
                (await Store.TryClaimAsync($"new-{i}", "body", "c", later, later.AddSeconds(10), later.AddSeconds(60), default)).Outcome);
        }

        Assert.Equal(IdempotencyOutcome.Claimed, stalled.Outcome);
        var left = await KeysAsync();
        Assert.DoesNotContain(left, key => key.StartsWith("old-", StringComparison.Ordinal));
        Assert.Equal(11, left.Count); // the ten live keys, and the started one whose image a takeover must still settle
        Assert.Contains("stalled", left);
    }

    private async Task<List<string>> KeysAsync()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(root, "index.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT key FROM idempotency_keys";
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }
}

public sealed class SqliteDirectUploadStoreContractTests : DirectUploadStoreContract, IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), $"direct-{Guid.NewGuid():N}");
    private readonly ManualClock clock = new(DateTimeOffset.UtcNow);

    protected override Task<IDirectUploadStore> CreateStoreAsync() =>
        Task.FromResult<IDirectUploadStore>(new SqliteDirectUploadStore(Path.Combine(root, "index.db"), clock));

    [Fact]
    public async Task A_database_made_before_the_completing_mark_gains_its_columns_and_marks_work()
    {
        var path = Path.Combine(root, "old.db");
        Directory.CreateDirectory(root);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = """
                CREATE TABLE direct_uploads (
                    upload_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, authenticated INTEGER NOT NULL, metadata TEXT NOT NULL,
                    size_bytes INTEGER NOT NULL, content_type TEXT NOT NULL, sha256 TEXT, created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL, complete_by INTEGER NOT NULL, image_id TEXT, failure_kind TEXT, failure_detail TEXT
                ) WITHOUT ROWID;
                """;
            create.ExecuteNonQuery();
        }

        var store = new SqliteDirectUploadStore(path, clock);
        var upload = NewUpload(createdAt: clock.GetUtcNow());
        Assert.True(await store.TryAddAsync(upload, default));

        Assert.True(await store.TryMarkCompletingAsync(upload.UploadId, "owner", clock.GetUtcNow().AddSeconds(15), clock.GetUtcNow(), default));
        Assert.False(await store.TryMarkCompletingAsync(upload.UploadId, "other", clock.GetUtcNow().AddSeconds(15), clock.GetUtcNow(), default));
    }

    [Fact]
    public async Task Uploads_a_day_past_their_last_chance_are_purged_by_later_adds_so_the_table_does_not_grow_forever()
    {
        var old = Enumerable.Range(0, 3).Select(_ => NewUpload(createdAt: clock.GetUtcNow())).ToList();
        foreach (var upload in old)
        {
            await Store.TryAddAsync(upload, default);
        }

        clock.Advance(TimeSpan.FromMinutes(75) + TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        var fresh = NewUpload(createdAt: clock.GetUtcNow());
        await Store.TryAddAsync(fresh, default);

        foreach (var upload in old)
        {
            Assert.Null(await Store.GetAsync(upload.UploadId, default));
        }

        Assert.NotNull(await Store.GetAsync(fresh.UploadId, default));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }
}
