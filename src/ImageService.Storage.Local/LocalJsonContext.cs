using System.Text.Json.Serialization;
using ImageService.Core.Images;

namespace ImageService.Storage.Local;

/// <summary>Source-generated JSON for the index's tag and variant columns (same snake_case shape as before).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(IReadOnlyList<StoredVariant>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<StoredVariant>))]
internal sealed partial class LocalJsonContext : JsonSerializerContext;
