using System.Text.Json;
using static ImageService.Bench.LambdaComputeBenchmark;

namespace ImageService.Bench;

/// <summary>The requests of one run, each measured with the service's CPU around it.</summary>
internal sealed class LambdaComputeRun(ServiceProcess service, LambdaComputeClient client, Plan plan, LambdaComputeMeasured measured, CancellationToken cancellationToken)
{
    /// <summary>Every photo once by each path and every small action a few times, so that start-up and tiered JIT
    /// are over before anything is timed; the id of an image to model the catalogue's records on.</summary>
    public async Task<string> WarmUpAsync(List<string> underLimit, List<string> direct)
    {
        var ids = new List<string>();
        foreach (var photo in underLimit)
        {
            ids.Add((await client.UploadAsync(await File.ReadAllBytesAsync(photo, cancellationToken), cancellationToken)).Image.GetProperty("image_id").GetString()!);
        }

        foreach (var photo in direct)
        {
            var bytes = await File.ReadAllBytesAsync(photo, cancellationToken);
            var (_, started) = await client.StartDirectAsync(bytes, cancellationToken);
            await client.PostToStorageAsync(started, bytes, cancellationToken);
            ids.Add((await client.CompleteDirectAsync(started, cancellationToken)).Image.GetProperty("image_id").GetString()!);
        }

        var version = 1L;
        for (var i = 0; i < plan.Warmups; i++)
        {
            await client.ViewAsync(ids[i % ids.Count], cancellationToken);
            await client.ListAsync(LambdaComputeCatalogue.FirstPage(null, i % 2 == 0 ? "bench" : null), cancellationToken);
            await client.ListAsync(LambdaComputeCatalogue.FirstPage(LambdaComputeClient.UserId, null), cancellationToken);
            version = (await client.EditAsync(ids[0], version, cancellationToken)).Version;
        }

        // One delete of each kind of image; the rest stay, and the first is the catalogue's model.
        await client.DeleteAsync(ids[^1], cancellationToken);
        return ids[0];
    }

    public async Task MeasureAsync(List<string> underLimit, List<string> direct, LambdaComputeCatalogue catalogue)
    {
        var uploaded = new List<string>();
        var bodies = new Dictionary<string, byte[]>();
        foreach (var photo in direct.Union(underLimit))
        {
            bodies[photo] = await File.ReadAllBytesAsync(photo, cancellationToken);
        }

        for (var repeat = 0; repeat < plan.UploadRepeats; repeat++)
        {
            foreach (var photo in underLimit)
            {
                var cpu = service.CpuSeconds();
                var (ms, image) = await client.UploadAsync(bodies[photo], cancellationToken);
                var used = service.CpuSeconds() - cpu;
                var bytes = RenditionBytes(image);
                measured.Action(Upload).Add([ms], used, bytes);
                LambdaComputeMeasured.Get(measured.UploadsByPhoto, photo).Add([ms], used, bytes);
                uploaded.Add(image.GetProperty("image_id").GetString()!);
            }
        }

        Console.WriteLine($"compute: {uploaded.Count} uploads by POST /images");
        for (var repeat = 0; repeat < plan.DirectRepeats; repeat++)
        {
            foreach (var photo in direct)
            {
                var cpu = service.CpuSeconds();
                var (startMs, started) = await client.StartDirectAsync(bodies[photo], cancellationToken);
                measured.Action(DirectStart).Add([startMs], service.CpuSeconds() - cpu);
                await client.PostToStorageAsync(started, bodies[photo], cancellationToken);
                cpu = service.CpuSeconds();
                var (ms, image) = await client.CompleteDirectAsync(started, cancellationToken);
                var used = service.CpuSeconds() - cpu;
                var bytes = bodies[photo].LongLength + RenditionBytes(image);
                measured.Action(DirectComplete).Add([ms], used, bytes);
                LambdaComputeMeasured.Get(measured.CompletesByPhoto, photo).Add([ms], used, bytes);
                uploaded.Add(image.GetProperty("image_id").GetString()!);
            }
        }

        Console.WriteLine($"compute: {plan.DirectRepeats * direct.Count} direct uploads");
        await GroupsAsync(View, plan.SmallRequests, plan.GroupSize, i => client.ViewAsync(uploaded[i % uploaded.Count], cancellationToken));
        foreach (var (name, user, tag) in LambdaComputeCatalogue.Filters)
        {
            var first = LambdaComputeCatalogue.FirstPage(user, tag);
            var deep = catalogue.DeepPage(user, tag);
            measured.DeepPages[name] = catalogue.DeepPageNumber(user, tag);
            await GroupsAsync(List(name, deep: false), plan.SmallRequests, plan.GroupSize, _ => client.ListAsync(first, cancellationToken));
            await GroupsAsync(List(name, deep: true), plan.SmallRequests, plan.GroupSize, _ => client.ListAsync(deep, cancellationToken));
        }

        var versions = uploaded.ToDictionary(id => id, _ => 1L);
        await GroupsAsync(Edit, plan.SmallRequests, plan.GroupSize, async i =>
        {
            var id = uploaded[i % uploaded.Count];
            var (ms, version) = await client.EditAsync(id, versions[id], cancellationToken);
            versions[id] = version;
            return ms;
        });
        await GroupsAsync(Delete, uploaded.Count, Math.Max(1, plan.GroupSize / 2), i => client.DeleteAsync(uploaded[i], cancellationToken));
        Console.WriteLine($"compute: views, lists, {plan.SmallRequests} edits and {uploaded.Count} deletes measured");
    }

    /// <summary><paramref name="requests"/> requests in groups of <paramref name="groupSize"/>, the CPU read around each group.</summary>
    private async Task GroupsAsync(string action, int requests, int groupSize, Func<int, Task<double>> request)
    {
        for (var start = 0; start < requests; start += groupSize)
        {
            var walls = new List<double>();
            var cpu = service.CpuSeconds();
            for (var i = start; i < Math.Min(requests, start + groupSize); i++)
            {
                walls.Add(await request(i));
            }

            measured.Action(action).Add(walls, service.CpuSeconds() - cpu);
        }
    }

    private static long RenditionBytes(JsonElement image) => image.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("size_bytes").GetInt64());
}
