namespace ImageService.Testing.Aws;

/// <summary>
/// The requests each user action needs from S3 and DynamoDB by the design in docs/architecture.md ("AWS storage"),
/// as <see cref="RequestCounter"/> names them: the model that docs/scaling.md prices, that RequestCostTests holds the
/// service to action by action, and that the load simulation in bench/ checks its whole run against. An action's
/// count is a function of the shards of the "all" and tag indexes and, for an edit, of the tag edges it moves.
/// </summary>
public static class RequestCostModel
{
    /// <summary>The record written pending and its edges in one batch (up to 24 edges), the three renditions, then the
    /// record committed.</summary>
    public static Dictionary<string, int> Upload() =>
        new() { ["PUT"] = 3, ["PutItem"] = 1, ["BatchWriteItem"] = 1, ["UpdateItem"] = 1 };

    /// <summary>As <see cref="Upload"/>, with the key's lease written first and two writes of the key after the commit.</summary>
    public static Dictionary<string, int> UploadWithKey() =>
        new() { ["PUT"] = 3, ["PutItem"] = 2, ["BatchWriteItem"] = 1, ["UpdateItem"] = 3 };

    /// <summary>One strongly consistent read of the record; the links are signed locally.</summary>
    public static Dictionary<string, int> View() => new() { ["GetItem"] = 1 };

    /// <summary>A page with no filter or by tag: one query per shard, merged newest first, then the page's records in one
    /// consistent batch. A cursor page costs the same: every shard resumes from the cursor's key. (A page whose
    /// candidates are mostly stale entries asks again, so the figure holds for a table without a backlog.)</summary>
    public static Dictionary<string, int> ListPage(int shards) => new() { ["Query"] = shards, ["BatchGetItem"] = 1 };

    /// <summary>A page by user (or by user and tag): one partition, one query.</summary>
    public static Dictionary<string, int> ListPageOfOnePartition() => new() { ["Query"] = 1, ["BatchGetItem"] = 1 };

    /// <summary>A page whose <paramref name="partitions"/> hold no key in its range (a tag nobody uses, a cursor past the
    /// oldest image): the queries alone, with no records to read.</summary>
    public static Dictionary<string, int> EmptyListPage(int partitions) => new() { ["Query"] = partitions };

    /// <summary>
    /// A page that asked again: a round (a query of each partition, then one batch read of the records its keys name)
    /// dropped keys whose record was not there to show (an upload still pending, an image being deleted, a tag edge an
    /// edit is moving), so the page was not full while the partitions had more, and the next round asked for the rest.
    /// <paramref name="roundsThatFoundKeys"/> is <paramref name="rounds"/>, or one less when the last round's queries
    /// found no key (the partitions ran out exactly there) and so read no records. One round is <see cref="ListPage"/>.
    /// </summary>
    public static Dictionary<string, int> ListPageAskingAgain(int partitions, int rounds, int roundsThatFoundKeys) =>
        new() { ["Query"] = partitions * rounds, ["BatchGetItem"] = roundsThatFoundKeys };

    /// <summary>Read the record; one conditional write of it that notes the tags whose edges move; one write per moved
    /// edge (a removed tag's edge becomes a tombstone, an added tag's edge is written); the note cleared. An edit that
    /// moves no edge is the read and the one write.</summary>
    public static Dictionary<string, int> Edit(int movedEdges) =>
        new() { ["GetItem"] = 1, ["UpdateItem"] = movedEdges == 0 ? 1 : 2 + movedEdges };

    /// <summary>An edit answered 404 (no committed image: never there, deleted, being deleted) or 412 (its If-Match names
    /// another version than the one read): the read alone.</summary>
    public static Dictionary<string, int> EditRefused() => new() { ["GetItem"] = 1 };

    /// <summary>An edit whose conditional write of the record lost <paramref name="lostRaces"/> times to a concurrent edit or
    /// delete of the same image: each lost round is the read, the write that failed its condition and one more read (to
    /// tell a lost race from its own write retried by the SDK after it landed); then the edit's <paramref name="outcome"/>
    /// (an If-Match edit meets the new version on its next read and is refused: <see cref="EditRefused"/>).</summary>
    public static Dictionary<string, int> EditAfterLostRaces(int lostRaces, Dictionary<string, int> outcome) =>
        Sum([outcome, new() { ["GetItem"] = 2 * lostRaces, ["UpdateItem"] = lostRaces }]);

    /// <summary>Read, mark deleting, each rendition deleted (no check first), the record read again, then the record and
    /// its edges removed (edges in one batch).</summary>
    public static Dictionary<string, int> Delete() =>
        new() { ["GetItem"] = 2, ["UpdateItem"] = 1, ["DELETE"] = 3, ["BatchWriteItem"] = 1, ["DeleteItem"] = 1 };

    /// <summary>A delete of an image that is not there (404): the read alone.</summary>
    public static Dictionary<string, int> DeleteOfMissing() => new() { ["GetItem"] = 1 };

    /// <summary>A request refused before the service reads anything (an upload turned away at the door with 429 or 503,
    /// a malformed request answered 400): no request.</summary>
    public static Dictionary<string, int> Refused() => [];

    /// <summary>The upload item; the form is signed locally.</summary>
    public static Dictionary<string, int> DirectStart() => new() { ["PutItem"] = 1 };

    /// <summary>The upload read and marked as being completed; the raw object read; the pipeline of POST /images under
    /// the service's idempotency key (<see cref="UploadWithKey"/>); the upload closed; the raw object deleted.</summary>
    public static Dictionary<string, int> DirectComplete() =>
        new() { ["GetItem"] = 1, ["GET"] = 1, ["PUT"] = 3, ["DELETE"] = 1, ["PutItem"] = 2, ["BatchWriteItem"] = 1, ["UpdateItem"] = 5 };

    /// <summary>
    /// The DynamoDB capacity of an action in on-demand request units, by DynamoDB's rules applied to the items the code
    /// writes: every item write (put, update, delete, or one item of a batch) costs one write unit while the larger of the
    /// item before and after is under 1 KB; each index entry written or removed costs one more (all indexes project keys
    /// only); a strongly consistent read costs one read unit per item under 4 KB; a query of a keys-only index, eventually
    /// consistent, costs half a unit per 4 KB of entries read, at least half a unit. <see cref="QueryReadUnits"/> is
    /// therefore a ceiling: DynamoDB charges a query that finds nothing its half unit, dynalite charges it nothing.
    /// </summary>
    public sealed record Capacity(int ReadUnits, int TableWriteUnits, int IndexWriteUnits, double QueryReadUnits = 0)
    {
        public int WriteUnits => TableWriteUnits + IndexWriteUnits;

        public double AllReadUnits => ReadUnits + QueryReadUnits;
    }

    /// <summary>The bytes of an image record besides its caption and alt text, for a photo with three renditions, a
    /// placeholder and two tags, at its largest (pending; measured by RequestCostTests: 966 B with a 19-byte caption): the
    /// record's share of every write unit, so a caption and alt text of more than about 75 bytes together take it past 1 KB.</summary>
    public const int RecordOverheadBytes = 947;

    /// <summary>The write units of one write of a record whose caption and alt text take <paramref name="captionAndAltTextBytes"/>
    /// in UTF-8.</summary>
    public static int RecordWriteUnits(int captionAndAltTextBytes) => (RecordOverheadBytes + captionAndAltTextBytes + 1023) / 1024;

    /// <summary>The read units of one strongly consistent read of such a record.</summary>
    public static int RecordReadUnits(int captionAndAltTextBytes) => (RecordOverheadBytes + captionAndAltTextBytes + 4095) / 4096;

    /// <summary>The pending record (entering the user and unsettled indexes) and one edge per tag (each entering the tag
    /// and user-and-tag indexes), then the commit, which enters the "all" index and leaves the unsettled one.</summary>
    public static Capacity UploadCapacity(int edges, int recordUnits = 1) => new(0, 2 * recordUnits + edges, 4 + 2 * edges);

    /// <summary>As <see cref="UploadCapacity"/>, with three writes of the key's item, which no index holds.</summary>
    public static Capacity UploadWithKeyCapacity(int edges) => new(0, 5 + edges, 4 + 2 * edges);

    public static Capacity ViewCapacity() => new(1, 0, 0);

    /// <summary>Half a unit per partition queried, and the page's records read (one unit each under 4 KB).</summary>
    public static Capacity ListPageCapacity(int partitions, int recordReadUnits) => new(recordReadUnits, 0, 0, 0.5 * partitions);

    /// <summary>The record read; written twice (entering and leaving the unsettled index); each moved edge written once,
    /// leaving or entering the tag and user-and-tag indexes.</summary>
    public static Capacity EditCapacity(int movedEdges) => new(1, 2 + movedEdges, 2 + 2 * movedEdges);

    /// <summary>The record read twice; marked deleting (entering the unsettled index, leaving the "all" one); the live edges
    /// and the record deleted in one batch (the record a second time, already gone: a delete of a missing item is still a
    /// write unit), and before that the record's conditional delete, leaving the user and unsettled indexes.</summary>
    public static Capacity DeleteCapacity(int liveEdges) => new(2, 3 + liveEdges, 4 + 2 * liveEdges);

    public static Capacity DirectStartCapacity() => new(0, 1, 0);

    /// <summary>The upload read, marked and closed around <see cref="UploadWithKeyCapacity"/>.</summary>
    public static Capacity DirectCompleteCapacity(int edges) => new(1, 7 + edges, 4 + 2 * edges);

    /// <summary>Whether <paramref name="operation"/> (a <see cref="RequestCounter"/> name) is a request to S3.</summary>
    public static bool IsS3(string operation) => operation is "GET" or "PUT" or "POST" or "DELETE" or "HEAD" or "ListObjects";

    /// <summary>The requests of several actions together.</summary>
    public static Dictionary<string, int> Sum(IEnumerable<Dictionary<string, int>> actions)
    {
        var total = new Dictionary<string, int>();
        foreach (var (operation, count) in actions.SelectMany(a => a))
        {
            total[operation] = total.GetValueOrDefault(operation) + count;
        }

        return total;
    }

    /// <summary>"GetItem 1, UpdateItem 5": requests in a stable order, for messages and tables.</summary>
    public static string Show(IReadOnlyDictionary<string, int> requests) =>
        string.Join(", ", requests.Where(r => r.Value != 0).OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"));
}
