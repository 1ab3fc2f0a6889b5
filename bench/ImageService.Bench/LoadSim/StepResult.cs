using ImageService.Storage.Aws;
using ImageService.Testing.Aws;

namespace ImageService.Bench.LoadSim;

/// <summary>One concurrency step: the actions it finished, what the service sent meanwhile, and the model's account of it.</summary>
internal sealed class StepResult
{
    public StepResult(int clients, List<SimAction> actions, IReadOnlyList<string> sent, IReadOnlyList<string> unattributed, double seconds, string loadAverage)
    {
        Clients = clients;
        Actions = actions;
        Seconds = seconds;
        LoadAverage = loadAverage;
        Sent = sent.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        Unattributed = unattributed.Count;
        Model = RequestCostModel.Sum(actions.Select(CostCheck.Model));
        foreach (var action in actions)
        {
            var excesses = CostCheck.Judge(action, actions);
            Excesses.AddRange(excesses.Select(e => (action, e)));
        }

        Explained = RequestCostModel.Sum(Excesses.Where(e => e.Excess.Explained).Select(e => e.Excess.Requests));
        // Whatever the model and the explained causes do not account for, requests no action claimed included.
        Unexplained = CostCheck.Minus(CostCheck.Minus(Sent, Model), Explained);
    }

    public int Clients { get; }

    public List<SimAction> Actions { get; }

    public double Seconds { get; }

    public string LoadAverage { get; }

    /// <summary>Every request the service sent during the step, as counted at the wire.</summary>
    public Dictionary<string, int> Sent { get; }

    public int Unattributed { get; }

    public Dictionary<string, int> Model { get; }

    public List<(SimAction Action, Excess Excess)> Excesses { get; } = [];

    public Dictionary<string, int> Explained { get; }

    public Dictionary<string, int> Unexplained { get; }

    public bool Holds => Unexplained.Count == 0;

    public bool Exact => Holds && Explained.Count == 0;

    public static int Total(IReadOnlyDictionary<string, int> requests) => requests.Values.Sum();

    public int S3(IReadOnlyDictionary<string, int> requests) => requests.Where(r => RequestCostModel.IsS3(r.Key)).Sum(r => r.Value);

    /// <summary>Pages that asked for the hot tag, of all pages filtered by a tag; and how many of each asked again.</summary>
    public (int HotPages, int TagPages, int HotAskedAgain, int OtherAskedAgain) TagPages()
    {
        var tagged = Actions.Where(a => a.Kind == ActionKind.List && a.Tag is not null).ToList();
        var again = Excesses.Where(e => e.Action.Kind == ActionKind.List && e.Excess.Explained && e.Action.Tag is not null).Select(e => e.Action).Distinct().ToList();
        return (tagged.Count(a => a.Tag == ZipfTags.Hot), tagged.Count, again.Count(a => a.Tag == ZipfTags.Hot), again.Count(a => a.Tag != ZipfTags.Hot));
    }

    /// <summary>Writes of the hot tag's edges (an upload's, an edit's move, a delete's removal) by the shard of its index
    /// partition that they land in.</summary>
    public int[] HotEdgeWritesByShard()
    {
        var shards = new int[DynamoDbKeys.DefaultShards];
        foreach (var action in Actions.Where(a => a.Succeeded))
        {
            var hot = action.Kind switch
            {
                ActionKind.Upload or ActionKind.Delete => action.Tags.Contains(ZipfTags.Hot),
                ActionKind.Edit => action.Tags.Contains(ZipfTags.Hot) != action.NewTags.Contains(ZipfTags.Hot),
                _ => false,
            };
            if (hot)
            {
                shards[DynamoDbKeys.ShardOf(action.ImageId, DynamoDbKeys.DefaultShards)]++;
            }
        }

        return shards;
    }
}
