using ImageService.Core.Ports;
using ImageService.Core.Processing;

namespace ImageService.Core.Tests.Fakes;

/// <summary>"Processes" any file into three small variants written to the folder it is given. Fault point: <c>processor</c>.</summary>
public sealed class FakeProcessor(Faults faults) : IImageProcessor
{
    public IReadOnlyList<string> AcceptedContentTypes { get; } = ["image/jpeg"];

    public string? DetectContentType(string path) => "image/jpeg";

    public Task<ImagePlaceholder> PlaceholderFromThumbnailAsync(byte[] thumbnail, int width, int height, CancellationToken cancellationToken) =>
        Task.FromResult(new ImagePlaceholder("AAAAAAA=", "#000000"));

    public Task<ProcessedImage> ProcessAsync(string sourcePath, string outputFolder, CancellationToken cancellationToken) =>
        faults.RunAsync("processor", async () =>
        {
            var source = await File.ReadAllBytesAsync(sourcePath, cancellationToken);
            var variants = new List<EncodedVariant>();
            foreach (var name in new[] { "original", "display", "thumbnail" })
            {
                var path = Path.Combine(outputFolder, $"{Guid.NewGuid():N}-{name}.jpg");
                byte[] bytes = [.. source, .. System.Text.Encoding.UTF8.GetBytes(name)];
                await File.WriteAllBytesAsync(path, bytes, cancellationToken);
                variants.Add(new EncodedVariant(name, "image/jpeg", "jpg", 64, 48, path, bytes.Length));
            }

            return new ProcessedImage("jpeg", 64, 48, variants);
        });
}
