using System.Globalization;
using System.Text;
using static ImageService.Bench.LambdaComputeBenchmark;

namespace ImageService.Bench;

/// <summary>Section 10 of BENCHMARKS.md from what <see cref="LambdaComputeBenchmark"/> measured.</summary>
public sealed class LambdaComputeReport(
    LambdaBilling billing,
    LambdaComputeMeasured measured,
    Dictionary<string, PillowPeer.Result> pillow,
    string pillowVersion,
    long maxUploadBytes,
    int uploadRepeats,
    int directRepeats,
    int pillowRepeats,
    string load)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public string Markdown(List<string> underLimit, List<string> direct)
    {
        var actions = new StringBuilder("| Action | Requests | Wall p50 | Wall p99 | CPU p50 | CPU mean | GB-s from wall here | I/O allowance | Duration from CPU | GB-s from CPU + allowance |\n|---|---:|---:|---:|---:|---:|---:|---|---:|---:|\n");
        foreach (var (name, samples) in measured.Actions)
        {
            var io = Allowance(name, samples);
            actions.AppendLine(Invariant,
                $"| {name} | {samples.Requests} | {samples.WallP50:F1} ms | {samples.WallP99:F1} ms | {(samples.CpuP50Resolved ? $"{samples.CpuP50:F1} ms" : "—")} | {samples.CpuMean:F1} ms | {samples.GbSecondsFromWall(billing):F5} | {io} = {io.Milliseconds:F0} ms | {billing.DurationFromCpu(samples.CpuMean, io):F0} ms | {samples.GbSecondsFromCpu(billing, io):F5} |");
        }

        var photos = new StringBuilder("| Photo | JPEG | Path | Ours: CPU (p50) | Ours: wall here (p50) | Pillow: CPU | Pillow: CPU with the read | Pillow: wall | I/O allowance | GB-s ours | GB-s Pillow | CPU ours ÷ Pillow | GB-s ours ÷ Pillow |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        var cpuRatios = new List<double>();
        var gbRatios = new List<double>();
        var pillowGbSeconds = new List<double>();
        foreach (var photo in direct)
        {
            var peer = pillow[photo];
            foreach (var (path, samples, io) in PathsOf(photo))
            {
                var ours = billing.GbSeconds(billing.DurationFromCpu(samples.CpuP50, io));
                var theirs = billing.GbSeconds(billing.DurationFromCpu(peer.CpuMs, io, threads: 1));
                cpuRatios.Add(samples.CpuP50 / peer.CpuMs);
                gbRatios.Add(ours / theirs);
                if (path == "direct `complete`")
                {
                    pillowGbSeconds.Add(theirs);
                }

                photos.AppendLine(Invariant,
                    $"| {Describe(photo)} | {(LambdaComputePhotos.Progressive(photo) ? "progressive" : "baseline")} | {path} | {samples.CpuP50:F0} ms | {samples.WallP50:F0} ms | {peer.CpuMs:F0} ms | {peer.CpuWithReadMs:F0} ms | {peer.WallMs:F0} ms | {io.Milliseconds:F0} ms | {ours:F4} | {theirs:F4} | {samples.CpuP50 / peer.CpuMs:F2} × | {ours / theirs:F2} × |");
            }
        }

        return string.Create(Invariant, $"""
            ## 10. Lambda compute per action

            The published service (the default package: self-contained, trimmed, composite ReadyToRun) started in Lambda
            mode — the environment of `ImageFunction` in `deploy/template.yaml` with its parameters at their defaults
            ({billing.MemoryMb} MB, `Processing__MaxConcurrentImages=1`, `Processing__InMemoryDecodeBytes=268435456`, `Limits__MaxUploadBytes={maxUploadBytes}`), with
            AuthMode None (a Jwt function needs a Cognito pool; the token check is not in these figures), rate limits
            raised, and its own port instead of the adapter's 8080 — against s3rver and dynalite, as its own process.
            After a warm-up (every photo once by each path, and each small action a few times), every action was sent
            one at a time, as one Lambda instance serves one request at a time. Wall time is the client's, from the first
            byte sent to the whole answer read. CPU is the service process's user + system time from /proc, which counts
            in 10 ms ticks: uploads are read one request at a time, the small actions in groups of requests (the p50 is
            over groups, the mean over all requests; — where each sample was one request of a few ticks). The emulators run beside the service on the same
            {System.Environment.ProcessorCount} cores and their CPU is not counted. Load average: {load}.

            Photos: the bench set's camera JPEGs of phone size ({LambdaComputePhotos.MinMegapixels:F0}–{LambdaComputePhotos.MaxMegapixels:F0} MP), as they
            are, none resized or re-encoded: those under the {maxUploadBytes:N0} bytes of `POST /images` in Lambda mode
            ({underLimit.Count}: {string.Join(", ", underLimit.Select(Path.GetFileName))}) by `POST /images`, {uploadRepeats} time(s) each; all
            {direct.Count} by the direct upload, {directRepeats} time(s) each: `POST /uploads`, the form post of the
            file to s3rver by the client (not the service's work, not timed), then `complete`, where the service reads
            the file back and runs the pipeline. Views, edits and deletes are of those images; list pages are the default
            20 of a table with {measured.CatalogueSize:N0} more images (copies of a real upload's record, written straight
            into dynalite); the deep page of each filter is its deepest full page ({string.Join(", ", measured.DeepPages.Select(d => $"page {d.Value} {d.Key}"))}).

            {actions}
            Two ways to GB-seconds at {billing.MemoryMb} MB, each request's duration rounded up to the millisecond as Lambda bills it:

            - **From wall time as measured here**: the mean over requests. It holds the emulators' latency (dynalite is a
              Node.js process over LevelDB that takes milliseconds a request; s3rver writes files) and their CPU on the
              same cores, and the service here has {System.Environment.ProcessorCount} full cores where the function has
              {billing.VcpuShare:F2} vCPUs' worth.
            - **From CPU time plus an I/O allowance**: the mean CPU at Lambda's CPU share for {billing.MemoryMb} MB
              ({billing.MemoryMb} / {LambdaBilling.MbPerVcpu:N0} = {billing.VcpuShare:F2} vCPU: "at 1,769 MB, a function has the equivalent of one
              vCPU", AWS Lambda Developer Guide, *Configuring Lambda function memory*), plus the action's requests to
              S3 and DynamoDB one after another by `RequestCostModel` (a list's shard queries, an edit's edge writes and an upload's three rendition puts
              go at once and count once) at {IoAllowance.DynamoDbMs:F0} ms a DynamoDB request (DynamoDB's "single-digit
              millisecond" latency with room for signing), {IoAllowance.S3Ms:F0} ms an S3 request (the S3 performance
              guidelines put small requests' median latency "in the tens of milliseconds"), and the bytes moved at
              {IoAllowance.BytesPerMs / 1000:F0} MB/s (an assumption, not an AWS figure).

            **The cost model should use the figure from CPU + allowance.** It is made of what carries over to Lambda —
            the service's own CPU, which does not depend on the emulators, at the CPU Lambda gives the function — and of
            stated latencies of the real services that anyone can replace with their own measurements. The wall time
            here measures the emulators as much as the service, and the two kinds of error do not cancel: dynalite is
            slower than DynamoDB, while these cores are faster than a Lambda share. It is not a bound either way. The
            CPU figure assumes the function keeps its share busy when it computes; an upload's decode and encodes run on
            libvips threads, so they can use more than one vCPU, but what runs on one thread takes CPU ÷ 1.0, not ÷ {billing.VcpuShare:F2}:
            read the upload rows as up to {billing.VcpuShare:F2} × low on their compute part. Cold starts are not in these
            figures (a new instance's start-up is billed as init duration; see section 5 and docs/deployment.md), nor is
            the Lambda Web Adapter's own forwarding (about a millisecond).

            ### Per photo: our upload beside a Python + Pillow Lambda

            bench/peers/pillow_variants.py under Debian's `/usr/bin/python3` with python3-pil {pillowVersion}: decode once,
            `ImageOps.exif_transpose`, RGB, the original as JPEG q90 at full resolution, the display rendition fitting
            1080 × 1350 (`Image.thumbnail`, Lanczos, never enlarged) as WebP q80, the 320 × 320 centre crop
            (`ImageOps.fit`, Lanczos, from the display rendition) as WebP q75, all to memory; median of {pillowRepeats} run(s)
            after one left out. Its CPU is of the processing alone (the photo already in memory, as after an S3 GET); the
            column with the read includes reading the file. Ours is the whole upload in Lambda mode: HTTP, the multipart
            body staged to disk or the raw file read back from S3, hashing, sniffing, the three renditions and the
            placeholder, signing and sending the S3 and DynamoDB requests. GB-seconds as above from the CPU (ours at
            {billing.VcpuShare:F2} vCPU; Pillow at 1 vCPU, since it encodes on one thread) plus the same I/O allowance
            for both, since a Pillow function must also read the photo from S3 and write three renditions.

            {photos}
            Median over the rows: our CPU {Stats.Median(cpuRatios):F2} × Pillow's, our GB-seconds {Stats.Median(gbRatios):F2} × Pillow's.
            Like Pillow's, ours decodes each of these photos once and makes all three renditions from that decode: the
            function's in-memory budget (`Processing__InMemoryDecodeBytes`) holds every one of them. A photo too big for
            it would be decoded twice (shrink-on-load for the display rendition and the thumbnail, then at full size for
            the original), which costs most on a progressive JPEG, whose every scan must be decoded both times
            (section 1 compares the two ways on the bench set). The I/O allowance narrows every ratio, since both
            functions wait on the same requests.

            ### Per million, for docs/scaling.md

            Lambda compute at {billing.MemoryMb} MB only: ${LambdaBilling.DollarsPerGbSecond:0.0000000000} per GB-s (x86, us-east-1) and
            ${LambdaBilling.DollarsPerMillionRequests:F2} per million invocations; no free tier, no API Gateway, S3, DynamoDB or transfer.

            {PerMillion(pillowGbSeconds)}
            """);
    }

    private string PerMillion(List<double> pillowGbSeconds)
    {
        var rows = new StringBuilder("| Per million | Invocations each | GB-s (CPU + allowance) | Lambda $ (CPU + allowance) | GB-s (wall here) | Lambda $ (wall here) |\n|---|---:|---:|---:|---:|---:|\n");
        void Row(string name, int invocations, double fromCpu, double? fromWall) => rows.AppendLine(Invariant,
            $"| {name} | {invocations} | {fromCpu * 1e6:N0} | ${LambdaBilling.DollarsPerMillion(fromCpu, invocations):F2} | {(fromWall is { } wall ? $"{wall * 1e6:N0} | ${LambdaBilling.DollarsPerMillion(wall, invocations):F2}" : "— | —")} |");
        (double Cpu, double Wall) Of(string action) =>
            (measured.Actions[action].GbSecondsFromCpu(billing, Allowance(action, measured.Actions[action])), measured.Actions[action].GbSecondsFromWall(billing));

        var upload = Of(Upload);
        Row($"uploads by `POST /images` (photos under {maxUploadBytes / 1048576} MiB)", 1, upload.Cpu, upload.Wall);
        var (start, complete) = (Of(DirectStart), Of(DirectComplete));
        Row("uploads by the direct upload (`POST /uploads` + `complete`, all the photos)", 2, start.Cpu + complete.Cpu, start.Wall + complete.Wall);
        if (pillowGbSeconds.Count > 0)
        {
            Row("(peer) the same photos through a Pillow Lambda, CPU at 1 vCPU + the same allowance", 1, pillowGbSeconds.Average(), null);
        }

        var view = Of(View);
        Row("views", 1, view.Cpu, view.Wall);
        var lists = measured.Actions.Keys.Where(k => k.StartsWith("List", StringComparison.Ordinal)).Select(Of).ToList();
        var firstPage = Of(measured.Actions.Keys.First(k => k.StartsWith("List, first page, no filter", StringComparison.Ordinal)));
        Row("list pages (first page, no filter)", 1, firstPage.Cpu, firstPage.Wall);
        Row($"list pages (mean of the {lists.Count} measured: first and deep, each filter)", 1, lists.Average(l => l.Cpu), lists.Average(l => l.Wall));
        foreach (var other in measured.Actions.Keys.Where(k => k.StartsWith("Edit", StringComparison.Ordinal) || k.StartsWith("Delete", StringComparison.Ordinal)))
        {
            var figures = Of(other);
            Row(other.Split(' ')[0].ToLowerInvariant() + "s", 1, figures.Cpu, figures.Wall);
        }

        return rows.ToString();
    }

    /// <summary>Our upload of a photo by each path measured for it, with the I/O allowance for that path.</summary>
    private IEnumerable<(string Path, LambdaComputeSamples Samples, IoAllowance Io)> PathsOf(string photo)
    {
        if (measured.UploadsByPhoto.TryGetValue(photo, out var posted))
        {
            yield return ("`POST /images`", posted, IoAllowance.Upload((long)posted.MeanStorageBytes));
        }

        if (measured.CompletesByPhoto.TryGetValue(photo, out var completed))
        {
            yield return ("direct `complete`", completed, IoAllowance.DirectComplete((long)completed.MeanStorageBytes));
        }
    }

    private static IoAllowance Allowance(string action, LambdaComputeSamples samples) => action switch
    {
        Upload => IoAllowance.Upload((long)samples.MeanStorageBytes),
        DirectStart => IoAllowance.DirectStart(),
        DirectComplete => IoAllowance.DirectComplete((long)samples.MeanStorageBytes),
        View => IoAllowance.View(),
        _ when action.StartsWith("List", StringComparison.Ordinal) && action.EndsWith("by user", StringComparison.Ordinal) => IoAllowance.ListPageByUser(),
        _ when action.StartsWith("List", StringComparison.Ordinal) => IoAllowance.ListPage(),
        _ when action.StartsWith("Edit", StringComparison.Ordinal) => IoAllowance.Edit(movedEdges: 2),
        _ when action.StartsWith("Delete", StringComparison.Ordinal) => IoAllowance.Delete(),
        _ => throw new ArgumentException($"no I/O allowance for {action}", nameof(action)),
    };

    private static string Describe(string photo) =>
        string.Create(Invariant, $"{Path.GetFileName(photo)} ({LambdaComputePhotos.Megapixels(photo):F1} MP, {new FileInfo(photo).Length / 1e6:F1} MB)");
}
