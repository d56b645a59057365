package dev.lifeline.chaos.internal;

import dev.lifeline.testing.HistoryChecker.Ack;
import java.util.List;

/**
 * How long a fault kept the group from serving, measured on the acknowledged calls: pure functions
 * of the history, so the measurement is tested on its own. Stateless and thread-safe.
 */
final class Failover {

  private Failover() {}

  /**
   * The failover time of a fault injected at {@code fault} and healed at {@code healed}. A fault
   * that always ends the active's tenure ({@link FaultKind#deposesActive()}) is timed to the first
   * call acknowledged with a token above {@code tokenBefore}; any other fault as the longest
   * stretch without an acknowledged call, since the active may or may not change. Negative when a
   * deposing fault saw no new token, which the run's table shows as "none".
   */
  static long nanos(FaultKind kind, List<Ack> acks, long tokenBefore, long fault, long healed) {
    return kind.deposesActive()
        ? firstAckAbove(acks, tokenBefore, fault) - fault
        : longestSilence(acks, fault, healed);
  }

  /**
   * When the first call with a token above {@code token} was acknowledged after {@code fault};
   * {@code fault - 1} if none was.
   */
  static long firstAckAbove(List<Ack> acks, long token, long fault) {
    return acks.stream()
        .filter(a -> a.token() > token && a.ackedNanos() > fault)
        .mapToLong(Ack::ackedNanos)
        .min()
        .orElse(fault - 1);
  }

  /**
   * The longest stretch without an acknowledged call in {@code (from, to]}, counting the stretches
   * from {@code from} to the first acknowledgement and from the last one to {@code to}.
   */
  static long longestSilence(List<Ack> acks, long from, long to) {
    long[] times =
        acks.stream()
            .mapToLong(Ack::ackedNanos)
            .filter(t -> t > from && t <= to)
            .sorted()
            .toArray();
    long longest = 0;
    long prev = from;
    for (long t : times) {
      longest = Math.max(longest, t - prev);
      prev = t;
    }
    return Math.max(longest, to - prev);
  }
}
