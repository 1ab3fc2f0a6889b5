using System.Text.Json.Serialization;
using ImageService.Core.Images;

namespace ImageService.Storage.Aws;

/// <summary>Source-generated JSON for the item's variants attribute (same snake_case shape as before).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IReadOnlyList<StoredVariant>))]
[JsonSerializable(typeof(List<StoredVariant>))]
internal sealed partial class AwsJsonContext : JsonSerializerContext;
