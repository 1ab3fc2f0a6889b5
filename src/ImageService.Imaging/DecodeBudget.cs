namespace ImageService.Imaging;

/// <summary>
/// The bytes of decoded pixels that images may hold in memory at once, shared by every image one processor handles (the
/// service registers one processor, so one budget per process).
/// An image takes its exact decoded size (known from the header, before any pixel is decoded) or, when that no longer
/// fits, takes nothing and streams instead: nobody waits on the budget, so it can never stall an upload.
/// </summary>
internal sealed class DecodeBudget(long capacity)
{
    private long inUse;
    private long highWater;
    private long granted;

    public long Capacity => capacity;

    /// <summary>Bytes taken now.</summary>
    public long InUse => Interlocked.Read(ref inUse);

    /// <summary>The most ever taken at once.</summary>
    public long HighWater => Interlocked.Read(ref highWater);

    /// <summary>How many times bytes were taken: the images decoded in memory.</summary>
    public long Granted => Interlocked.Read(ref granted);

    /// <summary>Takes <paramref name="bytes"/> if they fit in what is left; the caller must <see cref="Return"/> them.</summary>
    public bool TryTake(long bytes)
    {
        if (bytes <= 0 || bytes > capacity)
        {
            return false;
        }

        while (true)
        {
            var current = Interlocked.Read(ref inUse);
            if (current + bytes > capacity)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref inUse, current + bytes, current) == current)
            {
                RaiseHighWater(current + bytes);
                Interlocked.Increment(ref granted);
                return true;
            }
        }
    }

    public void Return(long bytes) => Interlocked.Add(ref inUse, -bytes);

    private void RaiseHighWater(long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref highWater)) && Interlocked.CompareExchange(ref highWater, value, seen) != seen)
        {
        }
    }
}
