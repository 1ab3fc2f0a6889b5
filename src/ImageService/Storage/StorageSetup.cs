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
        var storage = builder.AddValidated(builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>(), o => o.Validate());
        if (storage.IsAws)
        {
            builder.AddAwsStorage();
        }
        else
        {
            builder.AddLocalStorage();
        }

        builder.Services.AddHealthChecks()
            .AddCheck<StoreHealthCheck<IBlobStore>>("blob_store", tags: ["ready"])
            .AddCheck<StoreHealthCheck<IImageIndex>>("image_index", tags: ["ready"]);
        // Health is asked for (/health/live, /health/ready), never pushed: no publisher, so nothing for its timer to run.
        builder.Services.RemoveHostedService("HealthCheckPublisherHostedService");
        return builder;
    }
}
