package dev.lifeline.chaos.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** The faults a chaos run injects, each named as in the report's JSON keys. */
public enum FaultKind {
  /** The active member's process gets SIGKILL. */
  ACTIVE_KILL("active_kill", true),
  /** The active member's process gets SIGSTOP for longer than the TTL, then SIGCONT. */
  ACTIVE_PAUSE("active_pause", true),
  /** The active member gets SIGTERM: it hands over, then exits. */
  GRACEFUL_STOP("graceful_stop", true),
  /** The NATS node leading the lease stream gets SIGKILL; it is restarted once the group serves. */
  STREAM_LEADER_KILL("stream_leader_kill", false),
  /** Every link from the active member to NATS goes silent; its clients still reach it. */
  ACTIVE_CUT_OFF("active_cut_off", true),
  /** One NATS node's routes to the other two go silent for a while. */
  NODE_SPLIT("node_split", false),
  /** One NATS node is stopped (SIGTERM) and started again. */
  NODE_RESTART("node_restart", false);

  private final String key;
  private final boolean deposesActive;

  FaultKind(String key, boolean deposesActive) {
    this.key = key;
    this.deposesActive = deposesActive;
  }

  /** The name in the report, for example {@code active_kill}. */
  public String key() {
    return key;
  }

  /**
   * Whether the fault always ends the active's tenure: its failover is then timed to the first call
   * acknowledged with a higher token. Other faults are timed as the longest stretch without an
   * acknowledged call.
   */
  public boolean deposesActive() {
    return deposesActive;
  }

  /**
   * A schedule of {@code count} faults: blocks of every kind, each block shuffled by {@code
   * random}, so that any 7 consecutive faults from the start cover every kind.
   */
  public static List<FaultKind> schedule(int count, Random random) {
    List<FaultKind> out = new ArrayList<>(count);
    while (out.size() < count) {
      List<FaultKind> block = new ArrayList<>(Arrays.asList(values()));
      Collections.shuffle(block, random);
      out.addAll(block.subList(0, Math.min(block.size(), count - out.size())));
    }
    return out;
  }
}
