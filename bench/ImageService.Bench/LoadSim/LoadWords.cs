using System.Globalization;
using System.Text;
using ImageService.Testing.Aws;

namespace ImageService.Bench.LoadSim;

/// <summary>The model check of section 8 in words, written from the run's own figures.</summary>
internal static class LoadWords
{
    public static string Check(IReadOnlyList<StepResult> steps)
    {
        var text = new StringBuilder();
        text.Append("**The model check.** Each action is held to `RequestCostModel` by what it was answered: an upload 201 or a ")
            .Append("delete 200 costs its row of the table in docs/scaling.md; a view its read (404 too); a list page its partitions' ")
            .Append("queries (4 shards, or one partition for a user) and one batch read, or the queries alone when it returned nothing; ")
            .Append("an edit its read, its write and one write per tag edge it moved, counted from the tags the user saw and sent; an ")
            .Append("edit refused 412 or 404, or a delete answered 404, its read. The step's check is that the requests counted at the ")
            .Append("wire equal the model's sum over the actions the step finished, plus the excess of causes the run shows happened: ")
            .Append("an SDK retry (attempt 2 or more in `amz-sdk-request`); a list page that asked again (another round of queries, ")
            .Append("with or without a batch read) while at least as many uploads, deletes or edits that can leave keys in its ")
            .Append("partitions were half done (between the first write the service sent for them and their answer) as the rounds it added; an edit that lost its conditional write (per loss, two reads ")
            .Append("and the failed write) to an edit or delete of the same image in flight, or moved the edges such an edit still owed. ")
            .Append("Anything else is unexplained, shown in bold ")
            .AppendLine("above, and makes the harness exit with 1.")
            .AppendLine();
        foreach (var step in steps)
        {
            var sent = StepResult.Total(step.Sent);
            text.Append(Invariant($"- **{step.Clients} client{(step.Clients == 1 ? "" : "s")}:** {step.Actions.Count:N0} actions, {sent:N0} requests; the model counts {StepResult.Total(step.Model):N0}. "));
            if (step.Exact)
            {
                text.Append("They match exactly, action by action. ");
            }
            else if (step.Holds)
            {
                text.Append(Invariant($"The {StepResult.Total(step.Explained):N0} more ({RequestCostModel.Show(step.Explained)}) are all explained: "));
                text.Append(string.Join("; ", step.Excesses.Where(e => e.Excess.Explained).GroupBy(e => e.Excess.Cause)
                    .Select(g => Invariant($"{g.Key} ({g.Count()} action{(g.Count() == 1 ? "" : "s")})")))).Append(". ");
            }
            else
            {
                text.Append(Invariant($"**They differ by {RequestCostModel.Show(step.Unexplained)} that the model does not explain** ({step.Unattributed} requests no action claimed). "));
            }

            var again = step.Excesses.Where(e => e.Action.Kind == ActionKind.List && e.Excess.Explained).Select(e => e.Action).Distinct().ToList();
            if (again.Count > 0)
            {
                text.Append(Invariant($"The {again.Count:N0} pages that asked again were {again.Count * 100.0 / step.Actions.Count(a => a.Kind == ActionKind.List):F0} % of the pages: "))
                    .Append(string.Join(", ", again.GroupBy(a => a.Label).OrderByDescending(g => g.Count()).Select(g => Invariant($"{g.Key} {g.Count()}"))))
                    .Append(Invariant($" (uploads and deletes in flight leave their keys in the tag and user indexes; the \"all\" index holds committed records only). "));
            }

            var (hot, tagged, hotAgain, otherAgain) = step.TagPages();
            var shards = step.HotEdgeWritesByShard();
            text.Append(Invariant($"The hot tag `{ZipfTags.Hot}`: {hot:N0} of the {tagged:N0} pages by tag ({(tagged == 0 ? 0 : (double)hot / tagged):P0}), each one query per shard like any tag, {hotAgain} of them asked again (other tags: {otherAgain}); "))
                .AppendLine(Invariant($"its edges were written or removed {shards.Sum():N0} times, {string.Join(" / ", shards)} in its shards 0–3."));
        }

        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
