using System.Collections.Concurrent;
using ImageService.Core.Ports;
using ImageService.Testing.Contracts;
using Microsoft.Data.Sqlite;

namespace ImageService.Storage.Local.Tests;

/// <summary>The sweeper on a folder and a SQLite index, counting the store calls it makes and what their listings yield.</summary>
public sealed class LocalSweeperTests : SweeperContract
{
    private readonly string root = Directory.CreateTempSubdirectory("sweeper-").FullName;
    private readonly ConcurrentQueue<string> operations = new();

    protected override IReadOnlyList<string> Requests => [.. operations];

    protected override IReadOnlySet<string> WholeStoreReads { get; } = new HashSet<string> { "blobs.ListKeys", "index.RemoveOrphanEntries" };

    protected override void ResetRequests() => operations.Clear();

    protected override Task<(IImageIndex Index, IBlobStore Blobs)> CreateStoresAsync() => Task.FromResult<(IImageIndex, IBlobStore)>(
        (new CountingImageIndex(new SqliteImageIndex(Path.Combine(root, "index.db")), operations),
            new CountingBlobStore(new FileSystemBlobStore(root), operations)));

    protected override Task DestroyStoresAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
        return Task.CompletedTask;
    }
}
