using ImageService.Core.Ports;
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

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(root, recursive: true);
    }
}
