using ImageService.Configuration;
using ImageService.Core.Ports;
using ImageService.Storage.Local;

namespace ImageService.Storage;

internal static class StorageSetup
{
    /// <summary>Wires the blob store, the index and the URL signer of the configured provider, and their readiness checks.</summary>
    public static WebApplicationBuilder AddImageStorage(this WebApplicationBuilder builder)
    {
        builder.BindValidated<StorageOptions>(StorageOptions.Section, o => o.Validate());
        builder.BindValidated<LocalStorageOptions>(LocalStorageOptions.Section, o => o.Validate());

        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.AddSingleton(services =>
            new LocalStorageRoot(System.IO.Path.GetFullPath(services.GetRequiredService<LocalStorageOptions>().Root, contentRoot)));
        builder.Services.AddSingleton<IBlobStore>(services => new FileSystemBlobStore(services.GetRequiredService<LocalStorageRoot>().Path));
        builder.Services.AddSingleton<IImageIndex>(services =>
            new SqliteImageIndex(System.IO.Path.Combine(services.GetRequiredService<LocalStorageRoot>().Path, "index.db")));
        builder.Services.AddSingleton(services => new LocalUrlSigner(
            LocalUrlSigner.LoadOrCreateKey(services.GetRequiredService<LocalStorageOptions>(), services.GetRequiredService<LocalStorageRoot>().Path)));
        builder.Services.AddSingleton<IBlobUrlSigner>(services => services.GetRequiredService<LocalUrlSigner>());

        builder.Services.AddHealthChecks()
            .AddCheck<StoreHealthCheck<IBlobStore>>("blob_store", tags: ["ready"])
            .AddCheck<StoreHealthCheck<IImageIndex>>("image_index", tags: ["ready"]);
        return builder;
    }
}

/// <summary>The absolute folder of the embedded backend.</summary>
internal sealed record LocalStorageRoot(string Path);
