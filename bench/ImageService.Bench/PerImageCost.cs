using System.Globalization;
using System.Text;

namespace ImageService.Bench;

/// <summary>Section 2's per-image table: a whole upload's CPU beside the Pillow and sharp peers' pure processing of the
/// same image, and issue 15's targets on it.</summary>
public sealed record PerImageCost(IReadOnlyList<PerImageCost.Row> Rows, int Uploads, int PeerRepeats, string PillowVersion, string SharpVersion)
{
    /// <summary>CPU seconds for one image: a whole upload in the service, its pipeline alone, and the peers.</summary>
    public sealed record Row(string Image, double Upload, double Pipeline, double Pillow, double Sharp);

    public string Markdown()
    {
        var table = new StringBuilder();
        table.AppendLine("| Image | Whole upload | of which the pipeline (alone) | Pillow | Upload / Pillow | sharp | Upload / sharp |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var row in Rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Image} | {row.Upload:F3} | {row.Pipeline:F3} | {row.Pillow:F3} | {row.Upload / row.Pillow:F2} × | {row.Sharp:F3} | {row.Upload / row.Sharp:F2} × |");
        }

        double upload = Stats.Median(Rows.Select(r => r.Upload)), pipeline = Stats.Median(Rows.Select(r => r.Pipeline));
        double pillow = Stats.Median(Rows.Select(r => r.Pillow)), sharp = Stats.Median(Rows.Select(r => r.Sharp));
        var dearest = Rows.MaxBy(r => r.Upload / r.Pillow)!;
        var overhead = Stats.Median(Rows.Select(r => r.Upload - r.Pipeline));
        return string.Create(CultureInfo.InvariantCulture, $"""
            **CPU per image, one upload at a time, beside the peers.** For each image in turn: {Uploads} uploads one after
            another to the same service process (its CPU read from /proc before and after, divided by the uploads), then
            Pillow {PillowVersion} and sharp {SharpVersion} on the same image as in section 1 (pure processing, the photo's
            bytes already in memory or on disk, median of {PeerRepeats} runs after an untimed one), then the service's
            pipeline alone (`VipsImageProcessor` in this process, one libvips thread, median of {PeerRepeats}). A whole upload
            is everything the service does for `POST /images`: HTTP and multipart parsing, staging the body to disk while
            hashing it, the pipeline, storing the three renditions, the SQLite row and the answer. CPU seconds:

            {table}
            | Median over the set | Whole upload | Pipeline alone | Pillow | sharp |
            |---|---:|---:|---:|---:|
            | CPU s / image | {upload:F3} | {pipeline:F3} | {pillow:F3} | {sharp:F3} |

            | Target (issue 15) | Measured | Met |
            |---|---:|---|
            | whole upload ≤ 1.0 × Pillow's pure processing (medians of the set) | {upload / pillow:F2} × | {(upload <= pillow ? "yes" : "**no**")} |
            | no image's whole upload above 1.2 × Pillow's | {dearest.Upload / dearest.Pillow:F2} × ({dearest.Image}) | {(dearest.Upload <= 1.2 * dearest.Pillow ? "yes" : "**no**")} |
            | (context) whole upload vs sharp's pure processing (medians of the set) | {upload / sharp:F2} × | — |
            | (context) what the upload adds to the pipeline, median over the images | {overhead * 1000:F0} ms | — |
            """);
    }
}
