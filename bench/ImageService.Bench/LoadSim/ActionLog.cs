using System.Collections.Concurrent;
using System.Globalization;

namespace ImageService.Bench.LoadSim;

/// <summary>
/// Ties every request the service sends to the user action it was answering. The generator names the action in a
/// header; a middleware in the service puts it in an <see cref="AsyncLocal{T}"/>, which flows with the handler's awaits
/// into the SDK clients' HTTP pipeline, where <see cref="Observe"/> (the RequestCounter's observer) reads it.
/// </summary>
internal sealed class ActionLog
{
    public const string Header = "X-Load-Action";

    private static readonly AsyncLocal<SimAction?> Answering = new();
    private readonly ConcurrentDictionary<int, SimAction> open = new();
    private readonly ConcurrentQueue<SimAction> done = new();
    private readonly ConcurrentQueue<string> unattributed = new();
    private int lastId;

    public SimAction Begin(ActionKind kind, string label)
    {
        var action = new SimAction(Interlocked.Increment(ref lastId), kind, label);
        open[action.Id] = action;
        return action;
    }

    public void Finish(SimAction action, int status)
    {
        action.End(status);
        open.TryRemove(action.Id, out _);
        done.Enqueue(action);
    }

    /// <summary>The service's side: the action a request names, if it names one this log began.</summary>
    public void Enter(string? header) =>
        Answering.Value = int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && open.TryGetValue(id, out var action) ? action : null;

    public void Observe(string operation, HttpRequestMessage request)
    {
        if (Answering.Value is { } action)
        {
            action.Sent.Enqueue((operation, AttemptOf(request), System.Diagnostics.Stopwatch.GetTimestamp()));
        }
        else
        {
            unattributed.Enqueue(operation);
        }
    }

    /// <summary>The actions finished and the requests no action claimed since the last call, and starts afresh.</summary>
    public (List<SimAction> Done, List<string> Unattributed) Drain()
    {
        var actions = new List<SimAction>();
        while (done.TryDequeue(out var action))
        {
            actions.Add(action);
        }

        var orphans = new List<string>();
        while (unattributed.TryDequeue(out var operation))
        {
            orphans.Add(operation);
        }

        return (actions, orphans);
    }

    /// <summary>The SDK numbers its attempts in <c>amz-sdk-request: attempt=2; max=3</c>; a retry is attempt 2 or more.</summary>
    private static int AttemptOf(HttpRequestMessage request)
    {
        if (request.Headers.TryGetValues("amz-sdk-request", out var values))
        {
            foreach (var part in values.SelectMany(v => v.Split(';')))
            {
                var pair = part.Trim().Split('=', 2);
                if (pair is ["attempt", var number] && int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var attempt))
                {
                    return attempt;
                }
            }
        }

        return 1;
    }
}
