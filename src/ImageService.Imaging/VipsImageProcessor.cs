using ImageService.Core;
using ImageService.Core.Ports;
using ImageService.Core.Processing;
using Microsoft.Extensions.Logging;
using NetVips;

namespace ImageService.Imaging;

/// <summary>
/// The NetVips implementation of the processing pipeline: sniff the format, check the pixel count from the
/// header, then encode the variants. Every decode goes through the loader of the sniffed format, never
/// libvips' own guess. An image whose decoded pixels fit in what is left of the shared in-memory budget
/// (<see cref="ProcessingOptions.InMemoryDecodeBytes"/>) is decoded once and every rendition made from that copy; a
/// bigger one is never held whole: display and thumbnail come from one shrink-on-load decode, the original from a
/// second, full-size decode streamed in strips. How many calls run at once is the caller's to bound (the host's
/// upload queue hands out <see cref="ProcessingOptions.MaxConcurrentImages"/> slots).
/// </summary>
public sealed class VipsImageProcessor : IImageProcessor
{
    private static readonly Dictionary<ImageFormat, string> ContentTypes = new()
    {
        [ImageFormat.Jpeg] = "image/jpeg",
        [ImageFormat.Png] = "image/png",
        [ImageFormat.WebP] = "image/webp",
        [ImageFormat.Gif] = "image/gif",
        [ImageFormat.Avif] = "image/avif",
    };

    private readonly UploadLimits limits;
    private readonly bool placeholders;
    private readonly DecodeBudget budget;

    public VipsImageProcessor(UploadLimits limits, ProcessingOptions options, ILogger<VipsImageProcessor>? logger = null)
    {
        this.limits = limits;
        placeholders = options.Placeholders;
        budget = new DecodeBudget(options.InMemoryDecodeBytes);
        VipsRuntime.Configure(options.VipsConcurrency, logger is null ? null : message => logger.LogDebug("libvips: {Message}", message));
    }

    /// <summary>The in-memory budget this processor's calls share.</summary>
    internal DecodeBudget Budget => budget;

    public IReadOnlyList<string> AcceptedContentTypes { get; } = [.. ContentTypes.Values];

    public string? DetectContentType(string path) => ContentTypes.GetValueOrDefault(FormatSniffer.Detect(path));

    // A 320-pixel WebP: small enough for a thread-pool thread, no processing slot needed.
    public Task<ImagePlaceholder> PlaceholderFromThumbnailAsync(byte[] thumbnail, int width, int height, CancellationToken cancellationToken) =>
        Task.Run(() => Placeholders.FromStoredThumbnail(thumbnail, width, height), cancellationToken);

    public async Task<ProcessedImage> ProcessAsync(string sourcePath, string outputFolder, CancellationToken cancellationToken)
    {
        var format = FormatSniffer.Detect(sourcePath);
        EnsureAccepted(format);

        var outputs = new VariantFiles(outputFolder);
        try
        {
            return await Task.Run(() => Process(sourcePath, format, outputs), cancellationToken);
        }
        catch
        {
            outputs.DeleteAll();
            throw;
        }
        finally
        {
            NativeHeap.ReturnFreePages();
        }
    }

    private ProcessedImage Process(string path, ImageFormat format, VariantFiles outputs)
    {
        try
        {
            // Opening reads the header only; every step below is lazy until pixels are asked for.
            using var source = Load(path, format, Enums.Access.Sequential);
            EnsureWithinPixelLimit(source);
            var srgb = ToSrgb(source);
            var decodedBytes = (long)srgb.Width * srgb.Height * srgb.Bands * BytesPerBand(srgb.Format);
            if (!budget.TryTake(decodedBytes))
            {
                srgb.Dispose();
                return Streamed(path, format, source, outputs);
            }

            try
            {
                return InMemory(source, srgb, format, outputs);
            }
            finally
            {
                // The decoder's own buffers go with the source: freed before the share is, so the next image cannot
                // count on memory still held here.
                srgb.Dispose();
                source.Dispose();
                budget.Return(decodedBytes);
            }
        }
        catch (VipsException e) when (DiskFull.Is(e))
        {
            // Renditions are encoded to files: a full disk fails the encode, which must not pass for a corrupt photo.
            throw DiskFull.Unavailable("The processing folder", e);
        }
        catch (VipsException) when (format == ImageFormat.Heic)
        {
            throw ImageServiceException.Unsupported(
                "This HEIC image cannot be decoded: the server's libvips has no HEVC decoder (or the file is damaged). Export it as JPEG, PNG, WebP or AVIF and upload again.");
        }
        catch (VipsException)
        {
            throw ImageServiceException.Unprocessable(
                $"The file looks like {Describe(format)} but is corrupt or truncated and cannot be decoded. Re-export the image and upload it again.");
        }
    }

    /// <summary>One decode, held in memory: every rendition is cut from that copy, as a Pillow script would.</summary>
    private ProcessedImage InMemory(Image source, Image srgb, ImageFormat format, VariantFiles outputs)
    {
        using var decoded = srgb.CopyMemory();
        // Done with the file: the decoder's buffers (all of a progressive JPEG's coefficients) go before anything is encoded.
        srgb.Dispose();
        source.Dispose();
        using var upright = decoded.Autorot();
        return Encode(() => upright.Copy(), upright.Width, upright.Height, format, outputs, () => upright.Copy(), inMemory: true);
    }

    /// <summary>
    /// Two decodes: a shrink-on-load one for the display and thumbnail, released once their working copy is made, then a
    /// full-size one for the original, streamed top to bottom in strips when the image is upright (a rotation needs the
    /// whole image). For an image too big for what is left of the in-memory budget.
    /// </summary>
    private ProcessedImage Streamed(string path, ImageFormat format, Image header, VariantFiles outputs)
    {
        var orientation = header.Contains("orientation") ? Math.Clamp((int)header.Get("orientation"), 1, 8) : 1;
        var (width, height) = orientation >= 5 ? (header.PageHeight, header.Width) : (header.Width, header.PageHeight);
        header.Dispose(); // each decode below opens the file anew

        // Rotation needs random access; upright images (most) stream through in strips.
        var access = orientation == 1 ? Enums.Access.Sequential : Enums.Access.Random;
        var shrink = format is ImageFormat.Jpeg or ImageFormat.WebP ? LargestShrink(WorkingScale(width, height)) : 1;
        Image Reduced()
        {
            using var reduced = format switch
            {
                ImageFormat.Jpeg => Image.Jpegload(path, shrink: shrink, access: access, failOn: Enums.FailOn.Error),
                ImageFormat.WebP => Image.Webpload(path, scale: 1.0 / shrink, access: access, failOn: Enums.FailOn.Error),
                _ => Load(path, format, access),
            };
            using var upright = reduced.Autorot();
            return ToSrgb(upright);
        }

        Image FullSize()
        {
            using var full = Load(path, format, access);
            using var upright = full.Autorot();
            return ToSrgb(upright);
        }

        return Encode(Reduced, width, height, format, outputs, FullSize, inMemory: false);
    }

    /// <summary>
    /// Encodes the thumbnail and display from a working copy of <paramref name="forRenditions"/> (upright sRGB, the full
    /// image at any scale, released as soon as the working copy is made), then the original from
    /// <paramref name="original"/>, asked for only once the other two are written. Their sizes come from the full size
    /// (<paramref name="width"/> × <paramref name="height"/>), never from a reduced decode's rounding, so both paths give
    /// the same sizes.
    /// </summary>
    private ProcessedImage Encode(Func<Image> forRenditions, int width, int height, ImageFormat format, VariantFiles outputs, Func<Image> original, bool inMemory)
    {
        var variants = new List<EncodedVariant>(3);
        (string ThumbHash, string DominantColor)? placeholder = null;
        using (var working = WorkingCopy(forRenditions, width, height, inMemory))
        {
            var side = Math.Min(VariantSpecs.Thumbnail.MaxWidth, Math.Min(width, height));
            var fit = Math.Min(1.0, Math.Min((double)VariantSpecs.Display.MaxWidth / width, (double)VariantSpecs.Display.MaxHeight / height));
            var (displayWidth, displayHeight) = (Math.Max(1, (int)Math.Round(width * fit)), Math.Max(1, (int)Math.Round(height * fit)));
            using var thumbnail = working.ThumbnailImage(side, height: side, crop: Enums.Interesting.Centre);
            using var display = working.ThumbnailImage(displayWidth, height: displayHeight, size: Enums.Size.Force);
            variants.Add(EncodeWebp(thumbnail, VariantSpecs.Thumbnail, outputs));
            variants.Add(EncodeWebp(display, VariantSpecs.Display, outputs));
            if (placeholders)
            {
                placeholder = Placeholders.From(display);
            }
        }

        using var full = original();
        var encoded = EncodeOriginal(full, format, outputs);
        variants.Add(encoded);
        return new ProcessedImage(format.ToString().ToUpperInvariant(), encoded.Width, encoded.Height, variants)
        {
            Placeholder = placeholder?.ThumbHash,
            DominantColor = placeholder?.DominantColor,
        };
    }

    /// <summary>
    /// A small copy in memory that both the display and the thumbnail are cut from: just big enough to fill the display
    /// box and to give a full-size square thumbnail, even for a panorama. An image already in memory and no bigger than
    /// that is used as it is, never copied a second time.
    /// </summary>
    private static Image WorkingCopy(Func<Image> source, int width, int height, bool inMemory)
    {
        using var upright = source();
        var targetWidth = Math.Max(1, (int)Math.Ceiling(width * WorkingScale(width, height)));
        if (inMemory && targetWidth >= upright.Width)
        {
            return upright.Copy();
        }

        using var resized = upright.ThumbnailImage(targetWidth, height: 10_000_000, size: Enums.Size.Down);
        return resized.CopyMemory();
    }

    private static double WorkingScale(int width, int height)
    {
        var displayScale = Math.Min(1.0, Math.Min((double)VariantSpecs.Display.MaxWidth / width, (double)VariantSpecs.Display.MaxHeight / height));
        var thumbnailScale = Math.Min(1.0, (double)VariantSpecs.Thumbnail.MaxWidth / Math.Min(width, height));
        return Math.Max(displayScale, thumbnailScale);
    }

    private static int BytesPerBand(Enums.BandFormat format) => format switch
    {
        Enums.BandFormat.Uchar or Enums.BandFormat.Char => 1,
        Enums.BandFormat.Ushort or Enums.BandFormat.Short => 2,
        Enums.BandFormat.Uint or Enums.BandFormat.Int or Enums.BandFormat.Float => 4,
        Enums.BandFormat.Complex or Enums.BandFormat.Double => 8,
        _ => 16,
    };

    // The decoders shrink by 1, 2, 4 or 8 for free; take the largest that still leaves enough pixels.
    private static int LargestShrink(double scale)
    {
        foreach (var factor in (int[])[8, 4, 2])
        {
            if (factor * scale <= 1.0)
            {
                return factor;
            }
        }

        return 1;
    }

    private static void EnsureAccepted(ImageFormat format)
    {
        if (format is ImageFormat.Heic or ImageFormat.Unknown || !ContentTypes.ContainsKey(format))
        {
            if (format == ImageFormat.Heic)
            {
                return; // attempted; a failed decode is reported as unsupported with its own reason
            }

            var seen = format == ImageFormat.Unknown ? "is not an image format this service recognises" : $"is {Describe(format)}, which is not accepted";
            throw ImageServiceException.Unsupported(
                $"The uploaded file {seen}. Accepted formats: JPEG, PNG, WebP, GIF (first frame) and AVIF. The format is read from the file's bytes; its name and Content-Type are ignored.");
        }
    }

    private void EnsureWithinPixelLimit(Image header)
    {
        var pixels = (long)header.Width * header.PageHeight;
        if (pixels > limits.MaxPixels)
        {
            throw ImageServiceException.Unprocessable(
                $"The image is {header.Width} × {header.PageHeight} = {pixels:N0} pixels; the limit is {limits.MaxPixels:N0}. Resize it and upload again.");
        }
    }

    // Each format goes to its own loader: libvips' own sniffing never chooses for untrusted bytes.
    private static Image Load(string path, ImageFormat format, Enums.Access access) => format switch
    {
        ImageFormat.Jpeg => Image.Jpegload(path, access: access, failOn: Enums.FailOn.Error),
        ImageFormat.Png => Image.Pngload(path, access: access, failOn: Enums.FailOn.Error),
        ImageFormat.WebP => Image.Webpload(path, access: access, failOn: Enums.FailOn.Error),
        ImageFormat.Gif => Image.Gifload(path, access: access, failOn: Enums.FailOn.Error),
        ImageFormat.Avif or ImageFormat.Heic => Image.Heifload(path, access: access, failOn: Enums.FailOn.Error),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "No loader for this format."),
    };

    /// <summary>Converts to 8-bit sRGB through the embedded ICC profile when there is one, so colours survive stripping it.</summary>
    private static Image ToSrgb(Image image)
    {
        if (image.Contains("icc-profile-data"))
        {
            try
            {
                return image.IccTransform("srgb", embedded: true, intent: Enums.Intent.Perceptual, depth: 8);
            }
            catch (VipsException)
            {
                // A broken profile should not sink the upload: fall back to the plain colourspace conversion.
            }
        }

        return image.Interpretation == Enums.Interpretation.Srgb && image.Format == Enums.BandFormat.Uchar
            ? image.Copy()
            : image.Colourspace(Enums.Interpretation.Srgb);
    }

    private static EncodedVariant EncodeOriginal(Image image, ImageFormat source, VariantFiles outputs)
    {
        var lossless = source is ImageFormat.Png or ImageFormat.Gif || image.HasAlpha();
        var path = outputs.Reserve(VariantSpecs.Original.Name, lossless ? "png" : "jpg");
        if (lossless)
        {
            image.Pngsave(path, compression: 6, keep: Enums.ForeignKeep.None);
        }
        else
        {
            // Optimised Huffman tables would make libjpeg hold every coefficient of the image (about 130 MB at 43 MP).
            image.Jpegsave(path, q: VariantSpecs.Original.Quality, optimizeCoding: false, subsampleMode: Enums.ForeignSubsample.On,
                keep: Enums.ForeignKeep.None);
        }

        return Described(VariantSpecs.Original.Name, lossless ? "image/png" : "image/jpeg", image, path);
    }

    private static EncodedVariant EncodeWebp(Image image, VariantSpec spec, VariantFiles outputs)
    {
        var path = outputs.Reserve(spec.Name, "webp");
        image.Webpsave(path, q: spec.Quality, keep: Enums.ForeignKeep.None);
        return Described(spec.Name, "image/webp", image, path);
    }

    private static EncodedVariant Described(string name, string contentType, Image image, string path) =>
        new(name, contentType, Path.GetExtension(path)[1..], image.Width, image.Height, path, new FileInfo(path).Length);

    /// <summary>The files one call writes: uniquely named, so calls can share a folder and a source; all deleted on failure.</summary>
    private sealed class VariantFiles(string folder)
    {
        private readonly string prefix = Path.Combine(folder, StagedFileNames.New(""));
        private readonly List<string> paths = new(3);

        public string Reserve(string variant, string extension)
        {
            var path = $"{prefix}.{variant}.{extension}";
            paths.Add(path);
            return path;
        }

        public void DeleteAll()
        {
            foreach (var path in paths)
            {
                File.Delete(path);
            }
        }
    }

    private static string Describe(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "a JPEG",
        ImageFormat.Png => "a PNG",
        ImageFormat.WebP => "a WebP image",
        ImageFormat.Gif => "a GIF",
        ImageFormat.Avif => "an AVIF image",
        ImageFormat.Heic => "a HEIC image",
        ImageFormat.Svg => "SVG",
        ImageFormat.Tiff => "TIFF",
        ImageFormat.Bmp => "BMP",
        ImageFormat.Pdf => "PDF",
        ImageFormat.Jxl => "JPEG XL",
        _ => "an unknown format",
    };
}
