using System.Text.Json.Serialization;

namespace ImageService.WebApp;

/// <summary>The page's import map (its keys are paths, so no naming policy).</summary>
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class WebAppJsonContext : JsonSerializerContext;
