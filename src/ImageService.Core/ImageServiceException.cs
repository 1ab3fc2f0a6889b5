namespace ImageService.Core;

/// <summary>What went wrong, in terms a client can act on. The host maps each kind to one HTTP status.</summary>
public enum ImageErrorKind
{
    /// <summary>The request is malformed or breaks a metadata rule.</summary>
    InvalidRequest,
    /// <summary>The uploaded bytes are not in an accepted image format.</summary>
    UnsupportedFormat,
    /// <summary>The upload is larger than the configured byte limit.</summary>
    TooLarge,
    /// <summary>The image is in an accepted format but cannot be processed (corrupt, truncated, too many pixels).</summary>
    Unprocessable,
    /// <summary>The image (or blob) does not exist.</summary>
    NotFound,
    /// <summary>A signed link is expired or was altered.</summary>
    Forbidden,
    /// <summary>An authenticated caller acted on another user's behalf or image.</summary>
    NotOwner,
    /// <summary>The request collides with one still in progress.</summary>
    Conflict,
    /// <summary>The service has no room for the request right now; the same request later will do.</summary>
    Busy,
    /// <summary>The caller already has as many requests of this kind in progress as one caller may.</summary>
    TooManyAtOnce,
    /// <summary>The request body arrived too slowly.</summary>
    TooSlow,
    /// <summary>The request was conditional on a version of the resource that is no longer current.</summary>
    PreconditionFailed,
}

/// <summary>A failure caused by the client's request; its message is safe to show to that client.</summary>
public sealed class ImageServiceException(ImageErrorKind kind, string detail) : Exception(detail)
{
    public ImageErrorKind Kind { get; } = kind;

    public static ImageServiceException Invalid(string detail) => new(ImageErrorKind.InvalidRequest, detail);
    public static ImageServiceException Unprocessable(string detail) => new(ImageErrorKind.Unprocessable, detail);
    public static ImageServiceException Unsupported(string detail) => new(ImageErrorKind.UnsupportedFormat, detail);
    public static ImageServiceException NotFound(string detail) => new(ImageErrorKind.NotFound, detail);
    public static ImageServiceException Forbidden(string detail) => new(ImageErrorKind.Forbidden, detail);
    public static ImageServiceException TooLarge(string detail) => new(ImageErrorKind.TooLarge, detail);
    public static ImageServiceException NotOwner(string detail) => new(ImageErrorKind.NotOwner, detail);
    public static ImageServiceException Busy(string detail) => new(ImageErrorKind.Busy, detail);
    public static ImageServiceException TooManyAtOnce(string detail) => new(ImageErrorKind.TooManyAtOnce, detail);
    public static ImageServiceException TooSlow(string detail) => new(ImageErrorKind.TooSlow, detail);
    public static ImageServiceException Conflict(string detail) => new(ImageErrorKind.Conflict, detail);
    public static ImageServiceException PreconditionFailed(string detail) => new(ImageErrorKind.PreconditionFailed, detail);
}
