package dev.lifeline.active;

import java.time.Duration;
import java.util.Optional;

/**
 * Diagnostics snapshot of one member's view of its group. Immutable and thread-safe.
 *
 * @param group the group
 * @param memberId the reporting member
 * @param role the reporting member's role
 * @param activeId the member the reporter believes active, if any
 * @param activeAddress that member's address, if known
 * @param fencingToken the current tenure's token, 0 if unknown
 * @param leaseAge time since the current tenure was acquired (wall clock), if known
 * @param lastFailover how long the last takeover by this member took: from the moment it saw the
 *     previous holder's last sign of life (last renewal or release) to winning, if it ever took
 *     over
 * @param electionsWon acquisitions won by this member
 * @param electionsLost tenures of other members this member observed while trying to acquire
 * @param renewFailures renewals that failed with a store error
 * @param stepDowns times this member stepped down from ACTIVE
 */
public record GroupState(
    GroupId group,
    String memberId,
    Role role,
    Optional<String> activeId,
    Optional<String> activeAddress,
    long fencingToken,
    Optional<Duration> leaseAge,
    Optional<Duration> lastFailover,
    long electionsWon,
    long electionsLost,
    long renewFailures,
    long stepDowns) {}
