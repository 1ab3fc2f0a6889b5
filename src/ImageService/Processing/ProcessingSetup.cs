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
        builder.AddValidated<UploadLimits>(o => o.Validate()).Bind(builder.Configuration.GetSection(UploadLimits.Section));
        builder.AddValidated<ProcessingOptions>(o => o.Validate()).Bind(builder.Configuration.GetSection(ProcessingOptions.Section));
        builder.AddValidated<DownloadOptions>(o => o.Validate()).Bind(builder.Configuration.GetSection(DownloadOptions.Section));
        builder.AddValidated<UploadStagingOptions>(o => o.Validate()).Bind(builder.Configuration.GetSection(UploadStagingOptions.Section));
        builder.Services.AddSingleton<UploadStaging>();
        builder.Services.AddSingleton<IStagingArea>(services => services.GetRequiredService<UploadStaging>());
        builder.Services.AddSingleton<StagingJanitor>();
        builder.Services.AddHostedService<StagingCleanupAtStart>();
        builder.AddValidated<UploadQueueOptions>(o => o.Validate()).Bind(builder.Configuration.GetSection(UploadQueueOptions.Section));
        builder.Services.AddSingleton<UploadQueue>();
        builder.Services.AddSingleton<IImageProcessor, VipsImageProcessor>();
        builder.AddValidated<IdempotencyOptions>(o => o.Validate()).Bind(builder.Configuration.GetSection(IdempotencyOptions.Section));
        builder.Services.AddSingleton<ImageCatalog>();
        builder.Services.AddSingleton<UploadWorkflow>();
        builder.Services.AddSingleton<IdempotentUploads>();
        builder.Services.AddSingleton<Images.UploadFormReader>();
        // A direct upload's complete relies on its idempotency key for as long as the upload can be completed.
        var keyLifetime = (builder.Configuration.GetSection(IdempotencyOptions.Section).Get<IdempotencyOptions>() ?? new()).KeyLifetimeSeconds;
        builder.AddValidated<DirectUploadOptions>(o => o.Validate(keyLifetime)).Bind(builder.Configuration.GetSection(DirectUploadOptions.Section));
        builder.Services.AddSingleton<Uploads.DirectUploadService>();
        return builder;
    }
}
