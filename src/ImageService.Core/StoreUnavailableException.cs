namespace ImageService.Core;

/// <summary>
/// A store (blob store, index, idempotency store) cannot serve the request right now: throttled, busy, timed out
/// or unreachable. Adapters throw it for their own transient failures, so the host maps one type to 503 and
/// names no SDK. Nothing half-done is visible after it; the same request may be retried.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
