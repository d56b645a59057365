package dev.lifeline.grpc.internal;

import io.grpc.ConnectivityState;
import io.grpc.Status;

/**
 * What a {@link ManagedTarget} decides about its channels, as pure functions of what it observed:
 * which connection a call takes, whether to add or close one, whether a failure counts towards the
 * stuck-READY escape hatch, and whether a waiting call may skip grpc's backoff now. Nothing here
 * reads a channel or a clock, so each rule is tested as a table ({@code ChannelDecisionsTest}).
 *
 * <p>Stateless and thread-safe.
 */
final class ChannelDecisions {

  /** {@link #pick}'s answer when every usable connection is full and another one is allowed. */
  static final int ADD_CONNECTION = -1;

  private ChannelDecisions() {}

  /** Lower is better: the order in which a connection's state lets calls proceed. */
  static int rank(ConnectivityState s) {
    return switch (s) {
      case READY -> 0;
      case CONNECTING -> 1;
      case IDLE -> 2;
      case TRANSIENT_FAILURE -> 3;
      default -> 4;
    };
  }

  /**
   * The state a target with these connections reports. The best connection speaks for the target:
   * one READY connection means calls can proceed. IDLE before the first connection.
   */
  static ConnectivityState targetState(ConnectivityState[] states) {
    if (states.length == 0) {
      return ConnectivityState.IDLE;
    }
    ConnectivityState best = states[0];
    for (ConnectivityState st : states) {
      if (rank(st) < rank(best)) {
        best = st;
      }
    }
    return best;
  }

  /**
   * gRFC A105-like choice: the index of the first connection not in TRANSIENT_FAILURE with room for
   * another call; when every usable connection is full, {@link #ADD_CONNECTION} if the limit allows
   * another, else the least loaded usable connection (the first on a tie), else the first.
   *
   * @param states each connection's state
   * @param loads each connection's calls in flight, same order
   */
  static int pick(
      ConnectivityState[] states, int[] loads, int maxCallsPerConnection, int maxConnections) {
    int leastLoaded = -1;
    for (int i = 0; i < states.length; i++) {
      if (states[i] == ConnectivityState.TRANSIENT_FAILURE) {
        // It cannot carry a call now; grpc (and waiting calls) reconnect it.
        continue;
      }
      if (loads[i] < maxCallsPerConnection) {
        return i;
      }
      if (leastLoaded < 0 || loads[i] < loads[leastLoaded]) {
        leastLoaded = i;
      }
    }
    if (states.length < maxConnections) {
      return ADD_CONNECTION;
    }
    return leastLoaded >= 0 ? leastLoaded : 0;
  }

  /**
   * Whether one connection is surplus: the calls in flight fit in half of what the others would
   * carry, so connections added for a burst do not stay for ever. The half keeps a target that
   * hovers at the limit from closing and reopening a connection on every call.
   */
  static boolean shouldShrink(int connections, int totalInFlight, int maxCallsPerConnection) {
    return connections >= 2 && totalInFlight * 2 <= (connections - 1) * maxCallsPerConnection;
  }

  /**
   * Which connection to close when shrinking: one that cannot connect goes first (it carries
   * nothing useful); otherwise the newest, whose calls are the fewest to drain.
   */
  static int shrinkVictim(ConnectivityState[] states) {
    for (int i = 0; i < states.length; i++) {
      if (states[i] == ConnectivityState.TRANSIENT_FAILURE) {
        return i;
      }
    }
    return states.length - 1;
  }

  /** What one finished call means for the stuck-READY escape hatch of its connection. */
  enum HatchStep {
    /** The connection works: forget earlier failures. */
    RESET,
    /** The outcome says nothing about the connection. */
    IGNORE,
    /** Evidence of a dead connection that claims READY: count it. */
    COUNT
  }

  /**
   * The escape hatch for a channel that claims READY while its connection is dead (grpc-java issue
   * 12958). Only a failure the transport produced itself counts: UNAVAILABLE with no response
   * headers or trailers from the server, on a call that started and ended while the channel said
   * READY. Anything the server answered proves the connection works, whatever its code ("database
   * down" is an answer); a deadline the caller chose says nothing either way; a channel that admits
   * trouble is reconnected by grpc itself.
   */
  static HatchStep escapeHatch(
      Status.Code code, boolean serverAnswered, boolean startedReady, ConnectivityState stateNow) {
    if (code == Status.Code.OK || serverAnswered) {
      return HatchStep.RESET;
    }
    if (!startedReady || code != Status.Code.UNAVAILABLE) {
      return HatchStep.IGNORE;
    }
    if (stateNow != ConnectivityState.READY) {
      return HatchStep.IGNORE;
    }
    return HatchStep.COUNT;
  }

  /**
   * Whether a call that waits for a reconnect may skip grpc's backoff now: the first time, and then
   * at most once per {@code minGapNanos} (the schedule's initial delay, the cap on connection
   * attempts), however many calls wait.
   *
   * @param lastReset ticker reading of the last reset, or {@link Long#MIN_VALUE} if none
   */
  static boolean resetNow(long lastReset, long now, long minGapNanos) {
    return lastReset == Long.MIN_VALUE || now - lastReset >= minGapNanos;
  }
}
