using ImageService.Configuration;
using ImageService.Core.Ports;

namespace ImageService.Storage;

internal static class StorageSetup
{
    /// <summary>
    /// Wires the blob store, the index and the URL signer of the configured provider, and their readiness
    /// checks. Both backends are registered, but only the chosen one is ever constructed, so a local run
    /// never creates an AWS client.
    /// </summary>
    public static WebApplicationBuilder AddImageStorage(this WebApplicationBuilder builder)
    {
        builder.BindValidated<StorageOptions>(StorageOptions.Section, o => o.Validate());
        builder.AddLocalStorage();
        builder.AddAwsStorage();

        builder.Services.AddSingleton(services => Pick<IBlobStore>(services, LocalStorageSetup.BlobStore, AwsStorageSetup.BlobStore));
        builder.Services.AddSingleton(services => Pick<IImageIndex>(services, LocalStorageSetup.Index, AwsStorageSetup.Index));
        builder.Services.AddSingleton(services => Pick<IBlobUrlSigner>(services, LocalStorageSetup.UrlSigner, AwsStorageSetup.UrlSigner));
        builder.Services.AddSingleton(services => Pick<IIdempotencyStore>(services, LocalStorageSetup.Idempotency, AwsStorageSetup.Idempotency));

        builder.Services.AddHealthChecks()
            .AddCheck<StoreHealthCheck<IBlobStore>>("blob_store", tags: ["ready"])
            .AddCheck<StoreHealthCheck<IImageIndex>>("image_index", tags: ["ready"]);
        return builder;
    }

    private static T Pick<T>(IServiceProvider services, Func<IServiceProvider, T> local, Func<IServiceProvider, T> aws) =>
        services.GetRequiredService<StorageOptions>().IsAws ? aws(services) : local(services);
}
