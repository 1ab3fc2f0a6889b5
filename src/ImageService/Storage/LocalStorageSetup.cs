using ImageService.Configuration;
using ImageService.Core.Ports;
using ImageService.Storage.Local;

namespace ImageService.Storage;

/// <summary>The embedded backend: files under <c>Storage:Local:Root</c>, a SQLite index and app-signed links.</summary>
internal static class LocalStorageSetup
{
    public static void AddLocalStorage(this WebApplicationBuilder builder)
    {
        builder.AddValidated<LocalStorageOptions>(o => o.Validate()).Bind(builder.Configuration.GetSection(LocalStorageOptions.Section));
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.AddSingleton(services =>
            new LocalStorageRoot(System.IO.Path.GetFullPath(services.GetRequiredService<LocalStorageOptions>().Root, contentRoot)));
        builder.Services.AddSingleton(services => new FileSystemBlobStore(services.GetRequiredService<LocalStorageRoot>().Path));
        builder.Services.AddSingleton(services =>
            new SqliteImageIndex(System.IO.Path.Combine(services.GetRequiredService<LocalStorageRoot>().Path, "index.db")));
        builder.Services.AddSingleton(services =>
            new SqliteIdempotencyStore(System.IO.Path.Combine(services.GetRequiredService<LocalStorageRoot>().Path, "index.db")));
        if (builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>()?.IsAws != true)
        {
            builder.Services.AddSingleton<IStagingArea>(services => services.GetRequiredService<FileSystemBlobStore>());
        }

        builder.Services.AddSingleton(services => new LocalUrlSigner(
            LocalUrlSigner.LoadOrCreateKey(services.GetRequiredService<LocalStorageOptions>(), services.GetRequiredService<LocalStorageRoot>().Path)));
    }

    public static IBlobStore BlobStore(IServiceProvider services) => services.GetRequiredService<FileSystemBlobStore>();

    public static IImageIndex Index(IServiceProvider services) => services.GetRequiredService<SqliteImageIndex>();

    public static IBlobUrlSigner UrlSigner(IServiceProvider services) => services.GetRequiredService<LocalUrlSigner>();

    public static IIdempotencyStore Idempotency(IServiceProvider services) => services.GetRequiredService<SqliteIdempotencyStore>();
}

/// <summary>The absolute folder of the embedded backend.</summary>
internal sealed record LocalStorageRoot(string Path);
