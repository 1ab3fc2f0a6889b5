using ImageService.Configuration;
using ImageService.Core.Ports;
using ImageService.Storage.Local;

namespace ImageService.Storage;

/// <summary>The embedded backend: files under <c>Storage:Local:Root</c>, a SQLite index and app-signed links.</summary>
internal static class LocalStorageSetup
{
    public static void AddLocalStorage(this WebApplicationBuilder builder)
    {
        builder.AddValidated(builder.Configuration.GetSection(LocalStorageOptions.Section).Get<LocalStorageOptions>(), o => o.Validate());
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.AddSingleton(services =>
            new LocalStorageRoot(System.IO.Path.GetFullPath(services.GetRequiredService<LocalStorageOptions>().Root, contentRoot)));
        builder.Services.AddSingleton(services => new FileSystemBlobStore(services.GetRequiredService<LocalStorageRoot>().Path));
        builder.Services.AddSingleton<IBlobStore>(services => services.GetRequiredService<FileSystemBlobStore>());
        // One index, seen as the port and as the placeholder backfill's store.
        builder.Services.AddSingleton(services =>
            new SqliteImageIndex(System.IO.Path.Combine(services.GetRequiredService<LocalStorageRoot>().Path, "index.db")));
        builder.Services.AddSingleton<IImageIndex>(services => services.GetRequiredService<SqliteImageIndex>());
        builder.Services.AddSingleton<IPlaceholderBackfillStore>(services => services.GetRequiredService<SqliteImageIndex>());
        builder.Services.AddSingleton<IIdempotencyStore>(services =>
            new SqliteIdempotencyStore(System.IO.Path.Combine(services.GetRequiredService<LocalStorageRoot>().Path, "index.db")));
        builder.Services.AddSingleton<IDirectUploadStore>(services => new SqliteDirectUploadStore(
            System.IO.Path.Combine(services.GetRequiredService<LocalStorageRoot>().Path, "index.db"), services.GetRequiredService<TimeProvider>()));
        // One blob store, seen as the port and as a staging area whose stale part files the sweep removes.
        builder.Services.AddSingleton<IStagingArea>(services => services.GetRequiredService<FileSystemBlobStore>());
        // The download endpoint verifies links with the concrete signer; the core signs through the port.
        builder.Services.AddSingleton(services => new LocalUrlSigner(
            LocalUrlSigner.LoadOrCreateKey(services.GetRequiredService<LocalStorageOptions>(), services.GetRequiredService<LocalStorageRoot>().Path)));
        builder.Services.AddSingleton<IBlobUrlSigner>(services => services.GetRequiredService<LocalUrlSigner>());
        builder.Services.AddHostedService<LocalStoresAtStart>();
    }
}

/// <summary>Opens the SQLite stores and the link signer as the web process starts, which makes their tables and the
/// signing key: what cannot be created stops the start, and no request later finds a table or the key missing (as
/// the first upload did when the disk had filled up since the start).</summary>
internal sealed class LocalStoresAtStart(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<IImageIndex>();
        _ = services.GetRequiredService<IIdempotencyStore>();
        _ = services.GetRequiredService<IDirectUploadStore>();
        _ = services.GetRequiredService<IBlobUrlSigner>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The absolute folder of the embedded backend.</summary>
internal sealed record LocalStorageRoot(string Path);
