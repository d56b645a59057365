package dev.lifeline.testing;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the history of a single-active group under faults, Jepsen style, from three records: the
 * fenced register's log of writes (accepted and rejected, in the order the register decided them),
 * each exclusive call's interval, and the clients' acknowledgements. Every time is a {@link
 * System#nanoTime()} reading, one clock for all processes of one Linux host.
 *
 * <p>It finds:
 *
 * <ul>
 *   <li><b>overlapping active windows</b>: two accepted writes of different fencing tokens whose
 *       intervals, from the member's handler start to the register's acceptance, overlap; each pair
 *       of tokens counts once;
 *   <li><b>stale writes accepted</b>: an accepted write whose token is lower than one the register
 *       accepted before (the register must reject it; this checks the register too);
 *   <li><b>token decreases</b>: a client whose later call was acknowledged with a lower token than
 *       its earlier call (clients call one at a time);
 *   <li><b>lost acknowledged writes</b>: a call a client saw acknowledged whose write, with that
 *       token, is not among the register's accepted writes.
 * </ul>
 *
 * <p>Thread-safe: records are synchronized; {@link #check()} works on a snapshot.
 */
public final class HistoryChecker {

  /** Creates a checker with nothing recorded yet. */
  public HistoryChecker() {}

  /**
   * One write as the register decided it.
   *
   * @param member the writing member
   * @param token its fencing token
   * @param requestId the client's request id
   * @param startNanos when the member's exclusive handler started
   * @param decidedNanos when the register accepted or rejected it
   * @param accepted whether it was accepted
   */
  public record Write(
      String member,
      long token,
      String requestId,
      long startNanos,
      long decidedNanos,
      boolean accepted) {}

  /**
   * One acknowledged call as a client saw it.
   *
   * @param client the calling client (one call at a time each)
   * @param requestId its request id
   * @param member the member that answered
   * @param token the fencing token the answer carried
   * @param sentNanos when the client started the call
   * @param ackedNanos when it saw the answer
   */
  public record Ack(
      String client,
      String requestId,
      String member,
      long token,
      long sentNanos,
      long ackedNanos) {}

  /**
   * What {@link #check()} found; the counts are 0 for a correct history.
   *
   * @param examples a few violations, described, for the report
   */
  public record Verdict(
      int overlappingWindows,
      int staleWritesAccepted,
      int tokenDecreases,
      int lostAcknowledgedWrites,
      int acceptedWrites,
      int acknowledgedCalls,
      List<String> examples) {

    /** Whether no violation was found. */
    public boolean ok() {
      return overlappingWindows == 0
          && staleWritesAccepted == 0
          && tokenDecreases == 0
          && lostAcknowledgedWrites == 0;
    }
  }

  private static final int MAX_EXAMPLES = 10;

  @GuardedBy("this")
  private final List<Write> writes = new ArrayList<>();

  @GuardedBy("this")
  private final List<Ack> acks = new ArrayList<>();

  /** Records a write in the order the register decided it. */
  public synchronized void write(Write w) {
    writes.add(w);
  }

  /** Records an acknowledged call. */
  public synchronized void ack(Ack a) {
    acks.add(a);
  }

  /** The acknowledged calls so far, in the order they were recorded. */
  public synchronized List<Ack> acks() {
    return List.copyOf(acks);
  }

  /** Checks everything recorded so far. */
  public Verdict check() {
    List<Write> w;
    List<Ack> a;
    synchronized (this) {
      w = List.copyOf(writes);
      a = List.copyOf(acks);
    }
    List<String> examples = new ArrayList<>();
    List<Write> accepted = w.stream().filter(Write::accepted).toList();
    int overlaps = overlaps(accepted, examples);
    int stale = staleAccepted(accepted, examples);
    int decreases = tokenDecreases(a, examples);
    int lost = lost(accepted, a, examples);
    return new Verdict(
        overlaps, stale, decreases, lost, accepted.size(), a.size(), List.copyOf(examples));
  }

  private static void example(List<String> examples, String text) {
    if (examples.size() < MAX_EXAMPLES) {
      examples.add(text);
    }
  }

  /**
   * Sweeps the accepted writes by start time, keeping each token's latest end: a write that starts
   * before another token's latest end overlaps that token's window.
   */
  private static int overlaps(List<Write> accepted, List<String> examples) {
    List<Write> byStart = new ArrayList<>(accepted);
    byStart.sort(Comparator.comparingLong(Write::startNanos));
    Map<Long, Write> latestEnd = new HashMap<>();
    Set<List<Long>> pairs = new HashSet<>();
    for (Write x : byStart) {
      for (Write y : latestEnd.values()) {
        if (y.token() != x.token() && y.decidedNanos() > x.startNanos()) {
          List<Long> pair = List.of(Math.min(x.token(), y.token()), Math.max(x.token(), y.token()));
          if (pairs.add(pair)) {
            example(
                examples,
                String.format(
                    "overlap: %s token %d ran %d us into %s token %d",
                    x.member(),
                    x.token(),
                    (y.decidedNanos() - x.startNanos()) / 1_000,
                    y.member(),
                    y.token()));
          }
        }
      }
      latestEnd.merge(x.token(), x, (p, q) -> p.decidedNanos() >= q.decidedNanos() ? p : q);
    }
    return pairs.size();
  }

  private static int staleAccepted(List<Write> accepted, List<String> examples) {
    long highest = Long.MIN_VALUE;
    int stale = 0;
    for (Write x : accepted) {
      if (x.token() < highest) {
        stale++;
        example(
            examples,
            "stale write accepted: "
                + x.requestId()
                + " by "
                + x.member()
                + " token "
                + x.token()
                + " after token "
                + highest);
      }
      highest = Math.max(highest, x.token());
    }
    return stale;
  }

  private static int tokenDecreases(List<Ack> acks, List<String> examples) {
    List<Ack> bySent = new ArrayList<>(acks);
    bySent.sort(Comparator.comparingLong(Ack::sentNanos));
    Map<String, Ack> lastPerClient = new HashMap<>();
    int decreases = 0;
    for (Ack x : bySent) {
      Ack prev = lastPerClient.put(x.client(), x);
      if (prev != null && x.token() < prev.token()) {
        decreases++;
        example(
            examples,
            "token decreased for "
                + x.client()
                + ": "
                + prev.requestId()
                + " token "
                + prev.token()
                + ", then "
                + x.requestId()
                + " token "
                + x.token());
      }
    }
    return decreases;
  }

  private static int lost(List<Write> accepted, List<Ack> acks, List<String> examples) {
    Set<String> written = new HashSet<>();
    for (Write x : accepted) {
      written.add(x.requestId() + "@" + x.token());
    }
    int lost = 0;
    for (Ack x : acks) {
      if (!written.contains(x.requestId() + "@" + x.token())) {
        lost++;
        example(
            examples,
            "acknowledged write lost: "
                + x.requestId()
                + " answered by "
                + x.member()
                + " token "
                + x.token());
      }
    }
    return lost;
  }
}
