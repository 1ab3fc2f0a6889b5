using System.Globalization;
using System.Text;
using ImageService.Testing.Aws;

namespace ImageService.Bench.LoadSim;

/// <summary>Section 8 of BENCHMARKS.md: the steps, each action's latency and requests, the model check in numbers and words.</summary>
internal static class LoadReport
{
    private static readonly string[] Order =
    [
        "list, no filter", "list, by tag", "list, by user", "list, by user and tag", "list, next page (Link)", "list, deep page (cursor)",
        "view", "upload", "edit", "delete",
    ];

    public static string Section(LoadSimulation.Plan plan, IReadOnlyList<StepResult> steps, ZipfTags tags, double photoBytes)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"""
            ## 8. Load simulation (AWS engine on the emulators)

            The service on the AWS engine in this process (as `RequestCostTests` runs it: `WebApplicationFactory`, its S3 and
            DynamoDB clients replaced by counted ones), against s3rver and dynalite, with the sweeper off, uploads up to 4 MiB
            and two images processed at once: the template sets `Processing:MaxConcurrentImages=1` per Lambda instance, and
            this one process stands for many instances (the per-address rate limits and upload places, which the simulated
            users would share at one address, are lifted). In process rather than the published app behind a counting proxy,
            because every request the service sends is then attributed to the action it answered (the action's number
            travels in a header, the SDK's HTTP pipeline reads it back), where a proxy could only check a step's total.

            A catalogue of {plan.Seeded:N0} committed images (200 users, 1 to 3 tags each) is seeded straight into the table
            by `BatchWriteItem`, not through the API; the newest {plan.WithRenditions} also get their three renditions in the
            bucket, and only those and the images uploaded during the run are deleted. Each simulated user has its own seeded
            random mix: list pages 60 % (no filter 17, by tag 20, by user 10, by user and tag 3, the next page of its last list
            7, a page 200 to 2,000 images deep by cursor, of everything or of the hot tag, 3), views 25 %, uploads 8 %
            ({PhotoDescription(photoBytes)}), edits 4 % (of an image it viewed, with that ETag in `If-Match`: a new caption and
            one tag swapped), deletes 3 %. Tags are drawn by a Zipf-like popularity (weight 1/k^1.1 over 40 tags): the hot tag
            `{ZipfTags.Hot}` is {tags.HotShare:P0} of the draws. Steps of {string.Join(", ", plan.Steps)} clients, each
            stopping at {plan.MaxActions:N0} actions or {plan.TimeLimit.TotalSeconds:F0} s, whichever comes first; the actions in
            flight then finish. Latencies are the client's, from sending to the whole answer; emulator milliseconds are not AWS
            milliseconds, the request counts carry over. An upload waits here for one of the process's two processing
            slots, so at 16 and 64 clients its latency is mostly that queue, which Lambda, one upload per instance, would
            not have. Load average (1, 5, 15 min) at the end of each step; the machine was shared with other work.
            DynamoDB capacity per action is left to `RequestCostTests`, which measures it action by action: its meter reads
            every written item before and after the write, requests and latency that would blur this run.

            | Clients | Actions | Wall | Actions/s | Answers not 2xx | S3 requests | DynamoDB requests | Requests / action | Model's sum | Excess the model explains | Unexplained | Load average |
            |---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|
            """));
        foreach (var step in steps)
        {
            var sent = StepResult.Total(step.Sent);
            text.AppendLine(Invariant(
                $"| {step.Clients} | {step.Actions.Count:N0} | {step.Seconds:F1} s | {step.Actions.Count / step.Seconds:F1} | {Statuses(step.Actions)} | {step.S3(step.Sent):N0} | {sent - step.S3(step.Sent):N0} | {(double)sent / Math.Max(1, step.Actions.Count):F2} | {StepResult.Total(step.Model):N0} | {StepResult.Total(step.Explained):N0} | {(step.Holds ? "0" : "**" + RequestCostModel.Show(step.Unexplained) + "**")} | {step.LoadAverage} |"));
        }

        text.AppendLine();
        text.AppendLine("Per action: the client's latency, the answers other than 2xx, and the requests the service sent for the action (at the wire, attributed) beside the model's count for the same actions.");
        text.AppendLine();
        text.AppendLine("| Clients | Action | Done | p50 ms | p99 ms | Answers not 2xx | S3 / action | DynamoDB / action | Model / action |");
        text.AppendLine("|---:|---|---:|---:|---:|---|---:|---:|---:|");
        foreach (var step in steps)
        {
            foreach (var group in step.Actions.GroupBy(a => a.Label).OrderBy(g => Array.IndexOf(Order, g.Key)))
            {
                var sent = CostCheck.Count(group.SelectMany(a => a.Sent));
                var model = RequestCostModel.Sum(group.Select(CostCheck.Model));
                var n = group.Count();
                var ms = group.Select(a => a.Milliseconds).ToList();
                text.AppendLine(Invariant(
                    $"| {step.Clients} | {group.Key} | {n:N0} | {Stats.Median(ms):F0} | {Stats.Percentile(ms, 99):F0} | {Statuses(group)} | {(double)step.S3(sent) / n:F2} | {(double)(StepResult.Total(sent) - step.S3(sent)) / n:F2} | {(double)StepResult.Total(model) / n:F2} |"));
            }
        }

        text.AppendLine();
        text.AppendLine("The excess over the model, by cause (an explained cause is one the run shows happened; see below):");
        text.AppendLine();
        text.AppendLine("| Clients | Cause | Explained | Actions | Requests |");
        text.AppendLine("|---:|---|---|---:|---|");
        foreach (var step in steps)
        {
            var causes = step.Excesses.GroupBy(e => (e.Excess.Explained, Cause: e.Excess.Explained ? e.Excess.Cause : "unexplained: " + e.Excess.Cause)).ToList();
            if (causes.Count == 0)
            {
                text.AppendLine(Invariant($"| {step.Clients} | none: every action sent exactly what the model counts | – | 0 | 0 |"));
            }

            foreach (var cause in causes.OrderByDescending(c => c.Key.Explained).Take(12))
            {
                var requests = RequestCostModel.Sum(cause.Select(e => e.Excess.Requests));
                text.AppendLine(Invariant($"| {step.Clients} | {cause.Key.Cause} | {(cause.Key.Explained ? "yes" : "**no**")} | {cause.Count()} | {RequestCostModel.Show(requests)} |"));
            }
        }

        text.AppendLine();
        text.AppendLine(LoadWords.Check(steps));
        return text.ToString();
    }

    private static string PhotoDescription(double bytes) =>
        Invariant($"generated {LoadSimulation.PhotoWidth}×{LoadSimulation.PhotoHeight} JPEGs of {bytes / 1024:F0} KB on average, so that image work does not swamp two cores");

    /// <summary>"404 ×3, 412 ×1", or "none".</summary>
    internal static string Statuses(IEnumerable<SimAction> actions)
    {
        var bad = actions.Where(a => !a.Succeeded).GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{(g.Key == 0 ? "no answer" : g.Key.ToString(CultureInfo.InvariantCulture))} ×{g.Count()}").ToList();
        return bad.Count == 0 ? "none" : string.Join(", ", bad);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
