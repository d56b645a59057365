package dev.lifeline.active;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Reports the state of every registered member and, per group, the best-informed view: the active
 * member's own state if one is active here, else any member's. The demo serves {@link #toJson()}
 * over HTTP. Thread-safe.
 */
public final class ActiveDiagnostics {

  private final List<ActiveMember> members = new CopyOnWriteArrayList<>();

  /**
   * Creates diagnostics that report on no member until one is {@linkplain #register registered}.
   */
  public ActiveDiagnostics() {}

  /** Adds a member to report on. */
  public ActiveDiagnostics register(ActiveMember member) {
    members.add(member);
    return this;
  }

  /** Stops reporting on a member. */
  public void unregister(ActiveMember member) {
    members.remove(member);
  }

  /** Every member's state. */
  public List<GroupState> members() {
    List<GroupState> out = new ArrayList<>();
    for (ActiveMember m : members) {
      out.add(m.state());
    }
    return out;
  }

  /** One state per group: the active member's if any, else the member with the newest token. */
  public Map<GroupId, GroupState> groups() {
    Map<GroupId, GroupState> out = new LinkedHashMap<>();
    Comparator<GroupState> better =
        Comparator.comparing((GroupState s) -> s.role() == Role.ACTIVE)
            .thenComparingLong(GroupState::fencingToken);
    for (GroupState s : members()) {
      out.merge(s.group(), s, (a, b) -> better.compare(a, b) >= 0 ? a : b);
    }
    return out;
  }

  /** {@link #groups()} as a JSON array (one object per group). */
  public String toJson() {
    StringBuilder sb = new StringBuilder("[");
    boolean first = true;
    for (GroupState s : groups().values()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append("{\"service\":")
          .append(q(s.group().service()))
          .append(",\"group\":")
          .append(q(s.group().group()))
          .append(",\"reporter\":")
          .append(q(s.memberId()))
          .append(",\"activeId\":")
          .append(s.activeId().map(ActiveDiagnostics::q).orElse("null"))
          .append(",\"activeAddress\":")
          .append(s.activeAddress().map(ActiveDiagnostics::q).orElse("null"))
          .append(",\"fencingToken\":")
          .append(s.fencingToken())
          .append(",\"leaseAgeMs\":")
          .append(s.leaseAge().map(d -> String.valueOf(d.toMillis())).orElse("null"))
          .append(",\"lastFailoverMs\":")
          .append(s.lastFailover().map(d -> String.valueOf(d.toMillis())).orElse("null"))
          .append('}');
    }
    return sb.append(']').toString();
  }

  private static String q(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
