using System.Text.Json.Serialization;
using ImageService.Core.Sweeping;

namespace ImageService.Sweeping;

/// <summary>What the <c>sweep</c> command prints: the routine sweep's counts (<c>failed</c>: records whose clean-up
/// failed, left to the next sweep), with <c>--full</c> the page of the reconciliation it ran, whose <c>next</c>
/// (null once complete) is the marker for <c>--from</c>, and with <c>--backfill</c> the placeholder backfill's pass.</summary>
internal sealed record SweepCommandReport(
    int AbandonedUploads,
    int FinishedDeletes,
    int EditsSettled,
    int Failed,
    int DirectUploadsCompleted,
    int RawUploadsRemoved,
    int PlaceholdersBackfilled,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FullSweepReport? Full,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PlaceholderBackfillReport? Backfill);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SweepCommandReport))]
internal sealed partial class SweepJsonContext : JsonSerializerContext;
