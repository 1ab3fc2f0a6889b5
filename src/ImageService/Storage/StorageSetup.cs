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
        builder.AddValidated<StorageOptions>(o => o.Validate()).Bind(builder.Configuration.GetSection(StorageOptions.Section));
        builder.AddLocalStorage();
        builder.AddAwsStorage();

        builder.Services.AddSingleton(ChosenBlobStore);
        builder.Services.AddSingleton(ChosenIndex);
        builder.Services.AddSingleton(services => Pick<IBlobUrlSigner>(services, LocalStorageSetup.UrlSigner, AwsStorageSetup.UrlSigner));
        builder.Services.AddSingleton(services => Pick<IIdempotencyStore>(services, LocalStorageSetup.Idempotency, AwsStorageSetup.Idempotency));

        builder.Services.AddHealthChecks()
            .AddCheck<StoreHealthCheck<IBlobStore>>("blob_store", tags: ["ready"])
            .AddCheck<StoreHealthCheck<IImageIndex>>("image_index", tags: ["ready"]);
        return builder;
    }

    /// <summary>The configured provider's blob store (also for decorators that wrap it).</summary>
    public static IBlobStore ChosenBlobStore(IServiceProvider services) =>
        Pick<IBlobStore>(services, LocalStorageSetup.BlobStore, AwsStorageSetup.BlobStore);

    /// <summary>The configured provider's index (also for decorators that wrap it).</summary>
    public static IImageIndex ChosenIndex(IServiceProvider services) =>
        Pick<IImageIndex>(services, LocalStorageSetup.Index, AwsStorageSetup.Index);

    private static T Pick<T>(IServiceProvider services, Func<IServiceProvider, T> local, Func<IServiceProvider, T> aws) =>
        services.GetRequiredService<StorageOptions>().IsAws ? aws(services) : local(services);
}
