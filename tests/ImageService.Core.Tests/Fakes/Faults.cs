namespace ImageService.Core.Tests.Fakes;

/// <summary>How an armed call goes wrong.</summary>
public enum Fault
{
    /// <summary>The call fails and changes nothing.</summary>
    Fails,

    /// <summary>The call takes effect, then its answer is lost: the caller gets an exception.</summary>
    AnswerLost,

    /// <summary>The call takes effect, its answer is lost and the client sends it again; the caller gets the retry's answer.</summary>
    RetriedAfterLanding,
}

/// <summary>
/// The fault points shared by the in-memory fakes. Each port call passes through <see cref="RunAsync{T}"/> under a name
/// such as <c>index.pending->committed</c>; a test arms a fault for the n-th such call, or a hook that runs just
/// before it (to pause it, or to let another request in between).
/// </summary>
public sealed class Faults
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, int> calls = [];
    private readonly List<Armed> armed = [];

    public void Arm(string operation, Fault fault = Fault.Fails, int occurrence = 1) => Add(new Armed(operation, occurrence, fault, null, Always: false));

    /// <summary>Every call of <paramref name="operation"/> fails from now on, as when a store is unreachable.</summary>
    public void FailAlways(string operation) => Add(new Armed(operation, 0, Fault.Fails, null, Always: true));

    public void Before(string operation, Func<Task> hook, int occurrence = 1) => Add(new Armed(operation, occurrence, null, hook, Always: false));

    public int Calls(string operation)
    {
        lock (gate)
        {
            return calls.GetValueOrDefault(operation);
        }
    }

    public async Task<T> RunAsync<T>(string operation, Func<Task<T>> call)
    {
        List<Armed> now;
        lock (gate)
        {
            var count = calls[operation] = calls.GetValueOrDefault(operation) + 1;
            now = [.. armed.Where(a => a.Operation == operation && (a.Always || a.Occurrence == count))];
        }

        foreach (var hook in now.Select(a => a.Hook).OfType<Func<Task>>())
        {
            await hook();
        }

        var fault = now.Select(a => a.Fault).OfType<Fault>().Cast<Fault?>().FirstOrDefault();
        if (fault == Fault.Fails)
        {
            throw new IOException($"injected fault in {operation}");
        }

        var result = await call();
        return fault switch
        {
            Fault.AnswerLost => throw new TimeoutException($"injected lost answer from {operation}"),
            Fault.RetriedAfterLanding => await call(),
            _ => result,
        };
    }

    public Task RunAsync(string operation, Func<Task> call) => RunAsync(operation, async () =>
    {
        await call();
        return true;
    });

    private void Add(Armed entry)
    {
        lock (gate)
        {
            armed.Add(entry);
        }
    }

    private sealed record Armed(string Operation, int Occurrence, Fault? Fault, Func<Task>? Hook, bool Always);
}
