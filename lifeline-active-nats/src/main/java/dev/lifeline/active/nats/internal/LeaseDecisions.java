package dev.lifeline.active.nats.internal;

import java.time.Duration;

/**
 * The lease store's decisions about one key, as pure functions of what it read and when: whether an
 * expired lease may be taken over, whether a won compare-and-set was superseded at once, whether a
 * lease must be rewritten above the revisions seen, and which revision a downstream token names.
 * Stateless and thread-safe.
 */
public final class LeaseDecisions {

  private LeaseDecisions() {}

  /**
   * Whether another holder's lease may be taken over: its revision has been visible for at least
   * the lease's TTL, the larger of the holder's and the caller's. The holder stops serving {@code
   * ttl - safetyMargin} after it started writing that revision, before this store could see it.
   */
  public static boolean mayTakeOver(Duration leaseTtl, Duration callerTtl, long visibleForNanos) {
    Duration effective = leaseTtl.compareTo(callerTtl) > 0 ? leaseTtl : callerTtl;
    return visibleForNanos >= effective.toNanos();
  }

  /**
   * Whether the lease read back from the stream leader right after a win is a later write than the
   * win: the lease is no longer the winner's. On a correct server nobody can write right behind a
   * fresh acquire; nats-server before 2.9.21 checks the expected revision outside Raft
   * (nats-server#4320), so two compare-and-set writes of one expected revision both commit, back to
   * back, and each writer sees a win. Both are in the Raft log before the first is acknowledged, so
   * the read-back shows the second. Only the read-back counts, not revisions a watch showed: after
   * a stream lost acknowledged writes, those can be higher than a real win.
   *
   * @param won the revision the winning write got
   * @param readBack the revision read back, 0 if the key read as absent
   */
  public static boolean supersededAfterWin(long won, long readBack) {
    return readBack > won;
  }

  /**
   * Whether a lease just written at {@code revision} must be rewritten: it is no higher than {@code
   * highestSeen}, the highest revision of the key this store saw before the write. The stream then
   * lost writes it had acknowledged and hands their revisions out again (nats-server 2.9 after its
   * stream leader was killed): a lease won there would carry a fencing token no higher than one
   * already used downstream.
   */
  public static boolean mustRewrite(long revision, long highestSeen) {
    return revision <= highestSeen;
  }

  /**
   * The revision a downstream fencing token names in the bucket of {@code epoch}, or 0 if the token
   * belongs to another bucket generation (or to none this store opened). Tokens are the epoch, in
   * microseconds since 1970, plus a revision; a revision as large as the epoch is not plausible.
   */
  public static long revisionOfToken(long token, long epoch) {
    long revision = token - epoch;
    return revision > 0 && revision < epoch ? revision : 0;
  }
}
