using ImageService.Configuration;
using ImageService.Core.Images;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using ImageService.Imaging;

namespace ImageService.Processing;

internal static class ProcessingSetup
{
    /// <summary>Limits, the libvips pipeline, upload staging and the image workflows.</summary>
    public static WebApplicationBuilder AddImageProcessing(this WebApplicationBuilder builder)
    {
        builder.BindValidated<UploadLimits>(UploadLimits.Section, o => o.Validate());
        builder.BindValidated<ProcessingOptions>(ProcessingOptions.Section, o => o.Validate());
        builder.BindValidated<DownloadOptions>(DownloadOptions.Section, o => o.Validate());
        builder.BindValidated<UploadStagingOptions>(UploadStagingOptions.Section, o => o.Validate());
        builder.Services.AddSingleton<IImageProcessor, VipsImageProcessor>();
        builder.BindValidated<IdempotencyOptions>(IdempotencyOptions.Section, o => o.Validate());
        builder.Services.AddSingleton<ImageCatalog>();
        builder.Services.AddSingleton<IdempotentUploads>();
        builder.Services.AddSingleton<Images.UploadFormReader>();
        return builder;
    }
}
