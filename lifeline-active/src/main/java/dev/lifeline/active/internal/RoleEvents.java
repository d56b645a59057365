package dev.lifeline.active.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.active.Role;
import dev.lifeline.active.RoleListener;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's role listeners and the changes not yet delivered to them. Changes are queued while the
 * member's lock is held, so the queue's order is the order of the changes; {@link #deliver()} hands
 * them out one at a time in that order: a thread that finds another one delivering leaves its
 * events to it. Thread-safe.
 */
final class RoleEvents {

  // The member's logger: operators configure one category for the whole member.
  private static final Logger log = LoggerFactory.getLogger(DefaultActiveMember.class);

  private record RoleEvent(Role role, long token) {}

  private final String memberId;
  private final List<RoleListener> listeners = new CopyOnWriteArrayList<>();

  @GuardedBy("this")
  private final ArrayDeque<RoleEvent> pending = new ArrayDeque<>();

  @GuardedBy("this")
  private boolean firing;

  RoleEvents(String memberId) {
    this.memberId = memberId;
  }

  void addListener(RoleListener listener) {
    listeners.add(listener);
  }

  /** Queues a change; call it where the change happens, under the member's lock. */
  synchronized void queue(Role role, long token) {
    pending.add(new RoleEvent(role, token));
  }

  /** Delivers the queued changes, unless another thread is delivering them already. */
  void deliver() {
    synchronized (this) {
      if (firing) {
        return;
      }
      firing = true;
    }
    while (true) {
      RoleEvent e;
      synchronized (this) {
        e = pending.poll();
        if (e == null) {
          firing = false;
          return;
        }
      }
      for (RoleListener l : listeners) {
        try {
          l.onRoleChange(e.role(), e.token());
        } catch (Throwable t) {
          log.atWarn().addKeyValue("member", memberId).setCause(t).log("role listener failed");
        }
      }
    }
  }
}
