using System.Text.Json.Serialization;
using ImageService.Core.Sweeping;
using ImageService.Health;
using ImageService.Images;
using ImageService.Limits;
using ImageService.Uploads;

namespace ImageService.Configuration;

/// <summary>Source-generated JSON metadata for every type the API writes (Native AOT has no reflection-based serializer).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DictionaryKeyPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ImageResponse))]
[JsonSerializable(typeof(ImageEditDescription))]
[JsonSerializable(typeof(List<ImageSummaryResponse>))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(LimitsResponse))]
[JsonSerializable(typeof(UploadFormDescription))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(SweepReport))]
[JsonSerializable(typeof(CreatedUploadResponse))]
[JsonSerializable(typeof(ImageService.Events.EventResponse))]
[JsonSerializable(typeof(ImageService.WebApp.WebAppConfigResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
