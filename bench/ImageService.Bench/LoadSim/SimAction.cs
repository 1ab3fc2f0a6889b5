using System.Collections.Concurrent;
using System.Diagnostics;

namespace ImageService.Bench.LoadSim;

internal enum ActionKind
{
    Upload,
    View,
    List,
    Edit,
    Delete,
}

/// <summary>
/// One thing a simulated user did: what it asked, what it was answered, when, and every request the service sent to
/// S3 and DynamoDB while answering it (attributed at the wire by <see cref="ActionLog"/>), with the facts the cost
/// model needs: a list's partitions and the images it returned, the tag edges an edit moved.
/// </summary>
internal sealed class SimAction(int id, ActionKind kind, string label)
{
    public int Id { get; } = id;

    public ActionKind Kind { get; } = kind;

    /// <summary>The row of the report it counts under, e.g. "list, by tag".</summary>
    public string Label { get; } = label;

    public long Started { get; private set; } = Stopwatch.GetTimestamp();

    public long Ended { get; private set; }

    /// <summary>The HTTP status answered; 0 when no answer came (the request failed or timed out).</summary>
    public int Status { get; private set; }

    /// <summary>Each request the service sent for this action: its operation, the SDK's attempt number (1, or more for a
    /// retry the SDK made on its own) and when it was sent (a <see cref="Stopwatch"/> timestamp).</summary>
    public ConcurrentQueue<(string Operation, int Attempt, long At)> Sent { get; } = new();

    /// <summary>The image acted on (view, edit, delete) or created (upload).</summary>
    public Guid ImageId { get; set; }

    /// <summary>A list's filter, or the owner of the image written.</summary>
    public string? User { get; set; }

    /// <summary>A list's tag filter.</summary>
    public string? Tag { get; set; }

    /// <summary>The image's tags before the action (upload: the tags it was given).</summary>
    public IReadOnlyList<string> Tags { get; set; } = [];

    /// <summary>An edit's tags after it.</summary>
    public IReadOnlyList<string> NewTags { get; set; } = [];

    /// <summary>The index partitions a list page queries: the 4 shards of the "all" and tag indexes, or one.</summary>
    public int Partitions { get; set; }

    /// <summary>The images a list page returned.</summary>
    public int Items { get; set; }

    /// <summary>The tag edges an edit moves: the tags it removes and the tags it adds.</summary>
    public int MovedEdges => Tags.Except(NewTags, StringComparer.Ordinal).Count() + NewTags.Except(Tags, StringComparer.Ordinal).Count();

    public double Milliseconds => Stopwatch.GetElapsedTime(Started, Ended).TotalMilliseconds;

    public bool Succeeded => Status is >= 200 and < 300;

    public void Restart() => Started = Stopwatch.GetTimestamp();

    public void End(int status)
    {
        Status = status;
        Ended = Stopwatch.GetTimestamp();
    }

    /// <summary>Whether the two were being answered at the same moment.</summary>
    public bool Overlaps(SimAction other) => !ReferenceEquals(this, other) && other.Started < Ended && other.Ended > Started;

    /// <summary>Whether this write's keys could have been met by <paramref name="list"/> half-done: from the first write
    /// the service sent for it to DynamoDB (an upload's pending record comes after the wait for a processing slot and the
    /// image work, which leave nothing in the index) to the end of the action, against the list's whole span.</summary>
    public bool WasHalfDoneDuring(SimAction list) =>
        !ReferenceEquals(this, list) && Sent.Where(s => s.Operation is "PutItem" or "UpdateItem" or "BatchWriteItem" or "DeleteItem").Select(s => s.At).DefaultIfEmpty(long.MaxValue).Min() < list.Ended
        && Ended > list.Started;

    /// <summary>Whether this write could leave a key in <paramref name="list"/>'s partitions whose record a list must drop
    /// while the write is under way: an upload's pending record and edges, a delete's record and edges, an edit's edges of
    /// the tags it moves (the record stays committed, so only tag lists meet them).</summary>
    public bool CanLeaveStaleKeysFor(SimAction list)
    {
        bool MatchesUser() => list.User is null || list.User == User;
        return Kind switch
        {
            ActionKind.Upload or ActionKind.Delete => MatchesUser() && (list.Tag is null || Tags.Contains(list.Tag, StringComparer.Ordinal)),
            ActionKind.Edit => MatchesUser() && list.Tag is not null && (Tags.Contains(list.Tag, StringComparer.Ordinal) || NewTags.Contains(list.Tag, StringComparer.Ordinal)),
            _ => false,
        };
    }
}
