using ImageService.Configuration;
using ImageService.Core.Images;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using ImageService.Core.Uploads;
using ImageService.Imaging;

namespace ImageService.Processing;

internal static class ProcessingSetup
{
    /// <summary>Limits, the libvips pipeline, upload staging and its queue, and the image workflows.</summary>
    public static WebApplicationBuilder AddImageProcessing(this WebApplicationBuilder builder)
    {
        builder.AddValidated(builder.Configuration.GetSection(UploadLimits.Section).Get<UploadLimits>(), o => o.Validate());
        builder.AddValidated(builder.Configuration.GetSection(ProcessingOptions.Section).Get<ProcessingOptions>(), o => o.Validate());
        builder.AddValidated(builder.Configuration.GetSection(DownloadOptions.Section).Get<DownloadOptions>(), o => o.Validate());
        builder.AddValidated(builder.Configuration.GetSection(UploadStagingOptions.Section).Get<UploadStagingOptions>(), o => o.Validate());
        builder.Services.AddSingleton<UploadStaging>();
        builder.Services.AddSingleton<IStagingArea>(services => services.GetRequiredService<UploadStaging>());
        builder.Services.AddSingleton<StagingJanitor>();
        builder.Services.AddHostedService<StagingCleanupAtStart>();
        builder.AddValidated(builder.Configuration.GetSection(UploadQueueOptions.Section).Get<UploadQueueOptions>(), o => o.Validate());
        builder.Services.AddSingleton<UploadQueue>();
        builder.Services.AddSingleton<IImageProcessor, VipsImageProcessor>();
        var idempotency = builder.AddValidated(builder.Configuration.GetSection(IdempotencyOptions.Section).Get<IdempotencyOptions>(), o => o.Validate());
        builder.Services.AddSingleton<ImageCatalog>();
        builder.Services.AddSingleton<UploadWorkflow>();
        builder.Services.AddSingleton<IdempotentUploads>();
        builder.Services.AddSingleton<Images.UploadFormReader>();
        // A direct upload's complete relies on its idempotency key for as long as the upload can be completed.
        builder.AddValidated(builder.Configuration.GetSection(DirectUploadOptions.Section).Get<DirectUploadOptions>(), o => o.Validate(idempotency.KeyLifetimeSeconds));
        builder.Services.AddSingleton<Uploads.DirectUploadService>();
        return builder;
    }
}
