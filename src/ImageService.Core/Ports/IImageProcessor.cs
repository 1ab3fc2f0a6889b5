using ImageService.Core.Processing;

namespace ImageService.Core.Ports;

/// <summary>
/// Turns an untrusted upload into sanitised variants. Implementations decide the format from the bytes,
/// enforce <see cref="UploadLimits"/>, and throw <see cref="ImageServiceException"/> for anything a client caused.
/// </summary>
public interface IImageProcessor
{
    /// <summary>
    /// Processes the image in the file at <paramref name="sourcePath"/> into every variant, written as new files in
    /// <paramref name="outputFolder"/>; the caller disposes the result to delete them. Calls may share a folder and a source.
    /// </summary>
    Task<ProcessedImage> ProcessAsync(string sourcePath, string outputFolder, CancellationToken cancellationToken);

    /// <summary>
    /// The placeholder of an image stored before placeholders existed, from its stored thumbnail rendition alone (a WebP
    /// this service encoded, still decoded defensively). The thumbnail is the image's centre square; it is fitted to
    /// <paramref name="width"/> × <paramref name="height"/> first, so the placeholder has the image's aspect ratio.
    /// Throws <see cref="ImageServiceException"/> when the bytes are not a thumbnail it can decode.
    /// </summary>
    Task<ImagePlaceholder> PlaceholderFromThumbnailAsync(byte[] thumbnail, int width, int height, CancellationToken cancellationToken);

    /// <summary>The media type of the accepted format the file's first bytes show, or null when they show none; cheap,
    /// it decodes nothing.</summary>
    string? DetectContentType(string path);

    /// <summary>The formats this processor accepts, as media types.</summary>
    IReadOnlyList<string> AcceptedContentTypes { get; }
}
