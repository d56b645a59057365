package dev.lifeline.http;

/**
 * A snapshot of the connection pool: connections {@code leased} to requests in flight, {@code
 * available} idle connections, requests {@code pending} for a connection, and the {@code max}
 * total. Immutable and thread-safe.
 *
 * @param leased connections in use
 * @param available idle connections kept for reuse
 * @param pending requests waiting for a connection because a limit is reached
 * @param max the total connection limit
 */
public record PoolStats(int leased, int available, int pending, int max) {}
