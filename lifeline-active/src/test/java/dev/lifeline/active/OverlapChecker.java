package dev.lifeline.active;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Records each exclusive call's interval and asserts that no two members' calls overlap. */
public final class OverlapChecker {

  public record Interval(String member, long token, long start, long end) {}

  private final List<Interval> intervals = new ArrayList<>();

  public synchronized void record(String member, long token, long start, long end) {
    intervals.add(new Interval(member, token, start, end));
  }

  public synchronized int size() {
    return intervals.size();
  }

  public synchronized List<String> membersSeen() {
    return intervals.stream().map(Interval::member).distinct().toList();
  }

  /**
   * Asserts that no interval of one member overlaps one of another member, and that each change of
   * member comes with a larger fencing token.
   */
  public synchronized void assertNoOverlap() {
    List<Interval> sorted = new ArrayList<>(intervals);
    sorted.sort(Comparator.comparingLong(Interval::start));
    Map<String, Interval> lastEndingPerMember = new HashMap<>();
    Interval prev = null;
    for (Interval i : sorted) {
      for (Map.Entry<String, Interval> e : lastEndingPerMember.entrySet()) {
        if (!e.getKey().equals(i.member())) {
          assertThat(e.getValue().end())
              .as("exclusive call %s overlaps %s", i, e.getValue())
              .isLessThanOrEqualTo(i.start());
        }
      }
      lastEndingPerMember.merge(i.member(), i, (a, b) -> a.end() >= b.end() ? a : b);
      if (prev != null && !prev.member().equals(i.member())) {
        assertThat(i.token())
            .as("token after handover %s -> %s", prev, i)
            .isGreaterThan(prev.token());
      }
      prev = i;
    }
  }
}
