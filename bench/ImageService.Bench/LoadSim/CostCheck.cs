using ImageService.Testing.Aws;

namespace ImageService.Bench.LoadSim;

/// <summary>A part of what an action sent beyond the model: its cause, and whether the cause is one the model explains.</summary>
internal sealed record Excess(string Cause, Dictionary<string, int> Requests, bool Explained);

/// <summary>
/// Holds each action to <see cref="RequestCostModel"/>: what the model says it costs, given what it was answered (a
/// refused edit is its read; an empty page its queries), its partitions and the edges it moved; and, where it sent more,
/// whether the excess has a cause the model accounts for and that the run shows happened: an SDK retry (the SDK numbers
/// its attempts), a list page that asked again while a write that leaves keys in its partitions was half done, an edit
/// that lost its conditional write to an edit or delete of the same image in flight, or moved the edges such an edit still
/// owed. Anything else is unexplained.
/// </summary>
internal static class CostCheck
{
    public static Dictionary<string, int> Model(SimAction action) => action.Kind switch
    {
        ActionKind.Upload => action.Status == 201 ? RequestCostModel.Upload() : RequestCostModel.Refused(),
        ActionKind.View => action.Status is 200 or 404 ? RequestCostModel.View() : RequestCostModel.Refused(),
        ActionKind.List => action.Status != 200 ? RequestCostModel.Refused()
            : action.Items == 0 ? RequestCostModel.EmptyListPage(action.Partitions)
            : RequestCostModel.ListPage(action.Partitions),
        ActionKind.Edit => action.Status == 200 ? RequestCostModel.Edit(action.MovedEdges)
            : action.Status is 404 or 412 ? RequestCostModel.EditRefused()
            : RequestCostModel.Refused(),
        ActionKind.Delete => action.Status == 200 ? RequestCostModel.Delete()
            : action.Status == 404 ? RequestCostModel.DeleteOfMissing()
            : RequestCostModel.Refused(),
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    public static List<Excess> Judge(SimAction action, IReadOnlyList<SimAction> step)
    {
        var excesses = new List<Excess>();
        // Retries first: a retried request is the SDK's doing whatever the action was.
        var retried = Count(action.Sent.Where(s => s.Attempt > 1));
        if (retried.Count > 0)
        {
            excesses.Add(new Excess("an SDK retry", retried, Explained: true));
        }

        var model = Model(action);
        var sent = Count(action.Sent.Where(s => s.Attempt <= 1));
        var beyond = Minus(sent, model);
        if (beyond.Count == 0)
        {
            return excesses;
        }

        if (beyond.Values.Any(v => v < 0))
        {
            excesses.Add(new Excess($"{action.Label} answered {action.Status} sent less than the model ({Show(sent)} for {Show(model)})", beyond, Explained: false));
            return excesses;
        }

        excesses.Add(action.Kind switch
        {
            ActionKind.List => AskedAgain(action, sent, beyond, step),
            ActionKind.Edit => LostRace(action, beyond, step),
            _ => Unexplained(action, sent, model, beyond),
        });
        return excesses;
    }

    private static Excess AskedAgain(SimAction list, Dictionary<string, int> sent, Dictionary<string, int> beyond, IReadOnlyList<SimAction> step)
    {
        var queries = sent.GetValueOrDefault("Query");
        var rounds = queries / list.Partitions;
        var reads = sent.GetValueOrDefault("BatchGetItem");
        var shaped = sent.Keys.All(k => k is "Query" or "BatchGetItem") && queries % list.Partitions == 0 && rounds >= 1 && reads >= rounds - 1 && reads <= rounds
            && Minus(sent, RequestCostModel.ListPageAskingAgain(list.Partitions, rounds, reads)).Count == 0;
        var writers = step.Count(w => w.WasHalfDoneDuring(list) && w.CanLeaveStaleKeysFor(list));
        return shaped && writers >= Math.Max(1, rounds - 1)
            ? new Excess("a list page asked again over keys of writes half done", beyond, Explained: true)
            : new Excess($"{list.Label} sent {Show(sent)} ({writers} writes in flight that could leave keys in its partitions)", beyond, Explained: false);
    }

    /// <summary>An edit meets a rival on the same image in two ways: its conditional write of the record loses
    /// (<see cref="RequestCostModel.EditAfterLostRaces"/>), or it wins on a version whose edges the rival's edit is still
    /// moving, and moves those too (the record's note of owed edges holds both edits' tags): more edge writes.</summary>
    private static Excess LostRace(SimAction edit, Dictionary<string, int> beyond, IReadOnlyList<SimAction> step)
    {
        var (reads, writes) = (beyond.GetValueOrDefault("GetItem"), beyond.GetValueOrDefault("UpdateItem"));
        var lost = writes >= 1 && Minus(beyond, RequestCostModel.EditAfterLostRaces(writes, [])).Count == 0;
        var owed = reads == 0 && writes >= 1 && beyond.Count == 1;
        var rivals = step.Where(w => w.Overlaps(edit) && w.ImageId == edit.ImageId).ToList();
        return lost && rivals.Any(r => r.Kind is ActionKind.Edit or ActionKind.Delete)
            ? new Excess("an edit lost its write to an edit or delete of the same image", beyond, Explained: true)
            : owed && rivals.Any(r => r.Kind == ActionKind.Edit)
            ? new Excess("an edit also moved the edges an edit of the same image in flight still owed", beyond, Explained: true)
            : new Excess($"edit answered {edit.Status} sent {Show(beyond)} more than the model ({rivals.Count} actions on the image in flight)", beyond, Explained: false);
    }

    private static Excess Unexplained(SimAction action, Dictionary<string, int> sent, Dictionary<string, int> model, Dictionary<string, int> beyond) =>
        new($"{action.Label} answered {action.Status} sent {Show(sent)} where the model counts {Show(model)}", beyond, Explained: false);

    public static Dictionary<string, int> Count(IEnumerable<(string Operation, int Attempt, long At)> sent) =>
        sent.GroupBy(s => s.Operation).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>a − b by operation, without the zeros.</summary>
    public static Dictionary<string, int> Minus(IReadOnlyDictionary<string, int> a, IReadOnlyDictionary<string, int> b) =>
        a.Keys.Union(b.Keys).Select(k => (k, a.GetValueOrDefault(k) - b.GetValueOrDefault(k))).Where(p => p.Item2 != 0).ToDictionary(p => p.k, p => p.Item2);

    private static string Show(Dictionary<string, int> requests) => requests.Count == 0 ? "nothing" : RequestCostModel.Show(requests);
}
