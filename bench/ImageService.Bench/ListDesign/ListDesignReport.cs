using System.Globalization;
using System.Text;
using ImageService.Core.Images;

using static ImageService.Bench.ListDesign.ListDesignBenchmark;

namespace ImageService.Bench.ListDesign;

/// <summary>Writes section 9 from the measured figures: the pages, the writes, what a million of each costs, what a reader
/// can observe, and what the numbers favour.</summary>
public static class ListDesignReport
{
    public static string Render(
        int size, int samples, int writeSamples, List<ImageRecord> records, List<(string Page, PageCost A, PageCost B)> pages,
        List<(string Action, WriteCost A, WriteCost B)> writes, Sizes sizes, double readPrice, double writePrice)
    {
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
        var reads = new StringBuilder("| Page | A requests | A RRU | A p50 / p99 ms | B requests | B RRU | B p50 / p99 ms | B / A RRU | B / A p50 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var (page, a, b) in pages)
        {
            reads.AppendLine(Invariant($"| {page} | {a.Requests} ({a.Operations}) | {a.ReadUnits:0.#} | {a.P50:F1} / {a.P99:F1} | {b.Requests} ({b.Operations}) | {b.ReadUnits:0.#} | {b.P50:F1} / {b.P99:F1} | {b.ReadUnits / a.ReadUnits:F2} | {b.P50 / a.P50:F2} |"));
        }

        var writeRows = new StringBuilder("| Action | A requests | A WRU (table + index) | B requests | B WRU (table + index) | B / A WRU | RRU (both) |\n|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var (action, a, b) in writes)
        {
            writeRows.AppendLine(Invariant($"| {action} | {a.Requests:0.#} | {a.WriteUnits:0.#} ({a.TableWriteUnits:0.#} + {a.IndexWriteUnits:0.#}) | {b.Requests:0.#} | {b.WriteUnits:0.#} ({b.TableWriteUnits:0.#} + {b.IndexWriteUnits:0.#}) | {b.WriteUnits / a.WriteUnits:F2} | {a.ReadUnits:0.#} / {b.ReadUnits:0.#} |"));
        }

        var pageA = pages.Average(p => p.A.ReadUnits);
        var pageB = pages.Average(p => p.B.ReadUnits);
        var firstA = pages.Where(p => p.Page.EndsWith("first", StringComparison.Ordinal)).Average(p => p.A.ReadUnits);
        var firstB = pages.Where(p => p.Page.EndsWith("first", StringComparison.Ordinal)).Average(p => p.B.ReadUnits);
        var upload = writes.Single(w => w.Action == "upload");
        var caption = writes.Single(w => w.Action == "edit: caption");
        var swap = writes.Single(w => w.Action == "edit: one tag swapped");
        var delete = writes.Single(w => w.Action == "delete");
        double Dollars(double units, double price) => units * price; // units per action × $ per million units = $ per million actions
        var costs = new StringBuilder("| One million … | A | B |\n|---|---:|---:|\n");
        costs.AppendLine(Invariant($"| list pages (mean of the {pages.Count} pages above) | ${Dollars(pageA, readPrice):F2} ({pageA:0.##} RRU each) | ${Dollars(pageB, readPrice):F2} ({pageB:0.##} RRU each) |"));
        costs.AppendLine(Invariant($"| first pages (mean of the four filters) | ${Dollars(firstA, readPrice):F2} | ${Dollars(firstB, readPrice):F2} |"));
        foreach (var (action, a, b) in writes)
        {
            costs.AppendLine(Invariant($"| {Plural(action)} (DynamoDB requests only) | ${Dollars(a.WriteUnits, writePrice) + Dollars(a.ReadUnits, readPrice):F2} | ${Dollars(b.WriteUnits, writePrice) + Dollars(b.ReadUnits, readPrice):F2} |"));
        }

        // How many pages must be read per upload (and its eventual delete) before B's cheaper pages pay for its dearer writes.
        var savedPerPage = (pageA - pageB) * readPrice;
        var extraPerImage = ((upload.B.WriteUnits - upload.A.WriteUnits) + (delete.B.WriteUnits - delete.A.WriteUnits)) * writePrice;
        var extraPerEdit = (caption.B.WriteUnits - caption.A.WriteUnits) * writePrice;
        var breakEven = savedPerPage > 0 ? Invariant($"{extraPerImage / savedPerPage:F1} list pages per image uploaded and later deleted, plus {extraPerEdit / savedPerPage:F1} pages per caption edit") : "never: B's pages are not cheaper";
        var captions = records.Select(r => r.Caption.Length).ToList();

        return Invariant($"""
            ## 9. List designs side by side (DynamoDB)

            Design **A** is today's (`DynamoDbImageIndex`): sparse keys-only indexes, one eventually consistent Query per partition
            of the route, merged newest first, then one strongly consistent `BatchGetItem` of the page's records, on which the
            stale-entry rule runs. Design **B** is a prototype in `bench/ImageService.Bench/ListDesign/ProjectedListIndex.cs`: the
            same table, keys and routes, but `by_user`, `by_all`, `by_tag` and `by_user_tag` project (INCLUDE)
            {ProjectedListIndex.Describe()}, every tag edge carries a copy of them, and a page is the Queries alone, the rule
            checked on the projected state. Both tables (dynalite 4, loopback) hold the same {size:N0} images: captions of
            {captions.Min()}–{captions.Max()} characters (mean {captions.Average():F0}), alt text on about 60 %, {sizes.Tags:F2} tags per image on
            average drawn from 200 with a Zipf-like popularity, 100 users with a long tail, a 32-character placeholder, three
            renditions. Pages of {ListingWorkload.PageSize} + 1 items (the one extra tells the API whether a next page exists); "deep" starts
            halfway down the filter's matches (not at its end, where a sharded route's shards are nearly exhausted and read less). Every page returned the same images, with the same fields, from both designs.

            Capacity: every request of both designs went through one meter (`CapacityMeter`, which the tests price requests with too). Reads are dynalite's own
            `ReturnConsumedCapacity`, which does price a Query of an index by the projected entries it reads (summed, then
            rounded up to 4 KB, halved for an eventually consistent read) and a `BatchGetItem` item by item (rounded up to 4 KB
            each, consistent); a Query is charged at least 0.5 RRU, as DynamoDB does (dynalite charges an empty one nothing).
            Writes: the table's part is dynalite's figure (1 KB per unit, the larger of the item before and after); dynalite does
            not price index writes, so each written item is read before and after and each index entry it adds, removes or
            changes is charged at its projected size, 1 KB per unit (a moved key is a delete and a put; an unchanged projection
            costs nothing). Mean sizes by DynamoDB's rules: record {sizes.Record:F0} B; edge {sizes.EdgeA:F0} B in A, {sizes.EdgeB:F0} B in B; index entry
            {sizes.KeysOnlyEntry:F0} B keys-only (A), {sizes.ProjectedRecordEntry:F0} B for a record and {sizes.ProjectedEdgeEntry:F0} B for an edge projected (B), of which the
            `variants` JSON is {sizes.Variants:F0} B; {sizes.OverKilobyte:P0} of B's edge entries are over 1 KB and cost 2 units a write (a slimmer copy of the
            renditions, only what a list signs, would shrink every entry by most of the `variants` bytes).
            Latency: {samples} samples per page after 20 warm-ups, A and B in turn on the same page, clients not priced; load
            average {load}. dynalite's milliseconds are not AWS's: on AWS both designs' Queries run in parallel and B saves the
            `BatchGetItem` round trip (single-digit milliseconds in-region), which is what the p50 ratio stands for here.

            {reads}
            Writes, as the service sends them (the catalog reads the record before an edit or a delete), mean of {writeSamples} new images
            made like the seeded ones. An upload is the pending record and its edges, then the commit; B's commit also flips
            every edge to committed (an edge's state is all a tag list sees). A caption edit in A is one write of the record; in B
            it is the record (noting the edges owed), every edge rewritten, and the note cleared. A tag swap in A moves two edges;
            in B every edge is rewritten and the removed one becomes a tombstone. A delete in B also marks every edge deleting
            before the renditions go, or tag lists would show an image whose files are being deleted. (B's upload could write the
            edges once, already committed, after the record's commit, saving the edges' second write, at the price of tag lists
            missing an acknowledged image until they land or a sweep writes them; the figures are for B as A's protocol is.)

            {writeRows}
            At on-demand prices in us-east-1 (after the November 2024 cut: $0.125 per million RRU, $0.625 per million WRU):

            {costs}
            **What a reader can observe.** With A, once a delete or an edit has answered, no list shows the deleted image or the
            old caption or tags: the index only proposes candidates, and the strongly consistent `BatchGetItem` of the records
            decides (not committed: skipped; an edge whose tag the record no longer has: skipped). What an index lag can still do
            in A is hide a new image or a newly added tag for a moment, never show a stale one. The tests that hold this on the
            AWS engine (dynalite): `DynamoDbImageIndexContractTests` running `ImageIndexContract.A_removed_record_is_gone_from_reads_and_every_list`,
            `A_deleting_record_vanishes_from_lists_at_once`, `An_edit_is_stored_at_the_next_version_and_lists_follow_its_tags_at_once`,
            `A_pending_record_is_readable_but_listed_only_once_committed`; `DynamoDbConsistencyTests.Edges_left_without_a_record_are_skipped_and_pages_still_fill`
            and `DynamoDbEditTests.A_crash_at_any_request_of_an_edit_never_lists_a_tag_the_record_lacks_and_a_sweep_makes_the_lists_exact`
            (index entries that outlive their record, or an edge not yet moved, never show). dynalite applies indexes
            synchronously, so these tests show the rule, not a lag; the rule's input in A is the consistent record, so a lag
            cannot defeat it. With B the rule's input is the index entry itself, which on AWS is eventually consistent (usually
            well under a second, no documented bound, longer when an index's writes are throttled): after a delete has answered,
            the image stays listed, its links pointing at files already deleted, until the removal reaches each index; after an
            edit, the old caption and tags stay listed for that lag, and since the record and each edge are separate items
            whose index entries propagate independently, `by_user` and `by_tag` can show different captions of one image at the
            same moment. Precisely, on projected state B can enforce: an entry whose projected state is not `committed` is skipped
            (so once the `deleting` mark or the removal has reached an index, that index stops listing the image), and in the
            table an older edit's edge write never overwrites a newer one (the conditional version). Its tag check (the edge's own
            copy of the tags holds the tag) can never fail: an edge's tags and its index keys change in the same item write, so
            an index either has the new entry (whose key is gone when the tag is) or the old one (whose old tags still hold the
            tag). B cannot know whether an entry is the record's current state (that takes the record, i.e. A's read), cannot
            hide an entry whose delete, `deleting` mark or edit has not propagated, and cannot order the propagation of
            different items. So B cannot keep "a list never shows a deleted image once the delete has answered"; it can only
            promise "not after the index lag", a window DynamoDB does not bound, which a test on dynalite cannot show either.

            **What the numbers favour.** On capacity and latency, B: a page costs {pageB / pageA:P0} of A's read units on average
            (A's page is mostly its `BatchGetItem`: 21 records of {sizes.Record / 1024:F1} KB, one unit each, consistent; B reads ~{sizes.ProjectedRecordEntry / 1024:F1} KB
            entries at half a unit per 4 KB, though a sharded route reads up to 21 entries from each of its 4 shards to keep 21),
            and one round trip fewer. On writes, A: B costs {upload.B.WriteUnits / upload.A.WriteUnits:F1}× A's write units per upload,
            {caption.B.WriteUnits / caption.A.WriteUnits:F1}× per caption edit, {swap.B.WriteUnits / swap.A.WriteUnits:F1}× per tag swap and {delete.B.WriteUnits / delete.A.WriteUnits:F1}× per delete, because every
            entry of about 1 KB is written in each index that holds it and every edge is rewritten on each state change and edit.
            In money B's cheaper pages pay for its dearer writes after {breakEven}; a public gallery reads far more pages than
            that, so on the bill B wins, but the sums are small either way: ${Dollars(pageA, readPrice):F2} against ${Dollars(pageB, readPrice):F2} per million pages.
            On what a reader can observe, A: it never lists a deleted image or an old caption once the change has answered, and
            B does for an unbounded lag. The numbers therefore favour B only where stale list items are acceptable and page reads
            run to many millions a month; for this service, whose lists promise never to show a deleted image, they favour
            keeping A, at the price of the difference in the first row of the money table.
            """);
    }

    private static string Plural(string action) => action switch
    {
        "upload" => "uploads",
        "delete" => "deletes",
        "edit: caption" => "caption edits",
        "edit: one tag swapped" => "edits swapping one tag",
        _ => action,
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
