namespace ImageService.Testing;

/// <summary>The one test clock: time stands still until the test moves it, so ages and expiries are exact.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset now = now;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
