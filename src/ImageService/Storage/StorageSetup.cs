using ImageService.Configuration;
using ImageService.Core.Ports;

namespace ImageService.Storage;

internal static class StorageSetup
{
    /// <summary>
    /// Registers the configured backend only: one switch on <c>Storage:Provider</c>, and each backend registers its
    /// own ports (and validates only its own options). A local run never registers, let alone builds, an AWS client.
    /// </summary>
    public static WebApplicationBuilder AddImageStorage(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(StorageOptions.Section);
        builder.AddValidated<StorageOptions>(o => o.Validate()).Bind(section);
        if ((section.Get<StorageOptions>() ?? new()).IsAws)
        {
            builder.AddAwsStorage();
        }
        else
        {
            builder.AddLocalStorage(); // also for an unknown provider, which the validation above stops at start
        }

        builder.Services.AddHealthChecks()
            .AddCheck<StoreHealthCheck<IBlobStore>>("blob_store", tags: ["ready"])
            .AddCheck<StoreHealthCheck<IImageIndex>>("image_index", tags: ["ready"]);
        return builder;
    }
}
