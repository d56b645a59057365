package dev.lifeline.grpc.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.grpc.LifelineChannel;
import dev.lifeline.grpc.NotActive;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How one logical call moves through a single-active group: which member each attempt goes to, and
 * what the call learned from each answer. It only routes; whether there is a next attempt at all,
 * and when, is the engine's decision (idempotency, attempts, deadline, budget, breaker).
 *
 * <p>Routing rules:
 *
 * <ul>
 *   <li>The first attempt goes to the preferred member (the one that last answered successfully).
 *   <li>NOT_ACTIVE with a leader hint naming a known, fresh member: the next attempt goes there at
 *       once.
 *   <li>The preferred member changed since this call last tried it (another call found the active):
 *       the next attempt goes there at once.
 *   <li>The first miss without such a target (NOT_ACTIVE without a hint, or UNAVAILABLE) goes to
 *       the next live member at once: in a handover that member knows the successor, or holds the
 *       call until it does. Later misses wait out the engine's backoff, and the member is chosen
 *       when the retry fires.
 *   <li>Members that answered UNAVAILABLE in this call are passed over while others remain, and
 *       members whose channel cannot connect come after those that can.
 * </ul>
 *
 * <p>Thread-safe: state changes only under {@code this}; attempts of one call never overlap.
 */
final class GroupRoute implements StickyRouter.Waiter {

  /** When a member answered UNAVAILABLE, and its success count then (see isDead). */
  private record DeadMark(long atNanos, long successes) {}

  private final StickyRouter router;
  private final CallHandle handle;

  @GuardedBy("this")
  private int attempts;

  @GuardedBy("this")
  private StickyRouter.@Nullable Member next;

  @GuardedBy("this")
  private @Nullable String lastFailed;

  @GuardedBy("this")
  private long waitGeneration;

  @GuardedBy("this")
  private boolean lastPickEmpty;

  @GuardedBy("this")
  private boolean lastWasHintHop;

  @GuardedBy("this")
  private boolean freeHopUsed;

  @GuardedBy("this")
  private long firstFailureNanos = -1;

  @GuardedBy("this")
  private @Nullable Runnable wake;

  @GuardedBy("this")
  private @Nullable Runnable wakeOnClose;

  // The router generation when this call last started an attempt on each member: the preferred
  // member is worth a hop only if it changed since this call last tried it.
  @GuardedBy("this")
  private final Map<String, Long> triedAtGeneration = new HashMap<>();

  // Members that answered UNAVAILABLE without the marker in this call: rotation skips them.
  @GuardedBy("this")
  private final Map<String, DeadMark> dead = new HashMap<>();

  // Members whose hints must not be followed at once (value: their success count when marked):
  // they answered UNAVAILABLE (dead), NOT_ACTIVE without a hint (stepping down, knows nobody), or
  // NOT_ACTIVE right after a hop sent us there.
  @GuardedBy("this")
  private final Map<String, Long> stale = new HashMap<>();

  GroupRoute(StickyRouter router, CallHandle handle) {
    this.router = router;
    this.handle = handle;
  }

  /** The member for the next attempt, or {@code null} while the group has no members. */
  synchronized StickyRouter.@Nullable Member pick() {
    attempts++;
    StickyRouter.Member m;
    if (next != null && router.member(next.address()) != null) {
      m = next;
    } else if (lastFailed == null) {
      m = router.preferredMember();
    } else {
      m = delayedTarget();
    }
    next = null;
    lastPickEmpty = m == null;
    if (m != null) {
      triedAtGeneration.put(m.address(), router.generation());
      router.trace("attempt", m.address(), "-", 0, attempts);
    } else {
      router.trace("no members", "-", "-", 0, attempts);
    }
    return m;
  }

  /**
   * Another call's breaker judgement: the attempt about to go to {@code address} was refused by its
   * circuit breaker. Marks the member dead for this call and returns whether another member is left
   * to try at once.
   */
  synchronized boolean breakerOpen(String address) {
    dead.put(address, new DeadMark(router.ticker.nanos(), router.successesOf(address)));
    lastFailed = address;
    StickyRouter.Member other = nextAfter(address, false);
    if (other == null) {
      return false;
    }
    next = other;
    return true;
  }

  /** Wraps the attempt so that its outcome updates the routing before the engine sees it. */
  <ReqT, RespT> ClientCall<ReqT, RespT> attempt(
      StickyRouter.Member member, ClientCall<ReqT, RespT> call) {
    return new SimpleForwardingClientCall<>(call) {
      @Override
      public void start(Listener<RespT> listener, Metadata headers) {
        super.start(
            new SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onClose(Status status, Metadata trailers) {
                attemptClosed(member.address(), status, trailers);
                super.onClose(status, trailers);
              }
            },
            headers);
      }
    };
  }

  private void attemptClosed(String address, Status status, Metadata trailers) {
    int attempt;
    if (status.isOk()) {
      long first;
      synchronized (this) {
        first = firstFailureNanos;
        attempt = attempts;
      }
      router.onSuccess(address, attempt - 1, first);
      router.trace("success", address, "OK", 0, attempt);
      return;
    }
    boolean notActive = NotActive.isNotActive(status, trailers);
    // An attempt that ran out of its per-attempt time counts as unreachable too: a paused or
    // hung member keeps its connection open and never answers, and going back to it would hang
    // the call again. Whether the call may move at all (idempotency) is the engine's decision.
    boolean unreachable =
        !notActive
            && (status.getCode() == Status.Code.UNAVAILABLE
                || status.getCode() == Status.Code.CANCELLED
                || status.getCode() == Status.Code.DEADLINE_EXCEEDED);
    if (!notActive && !unreachable) {
      synchronized (this) {
        attempt = attempts;
      }
      router.trace("surface", address, status.getCode().name(), 0, attempt);
      return;
    }
    if (notActive) {
      router.notActive.increment();
    } else {
      router.unavailable.increment();
    }
    Optional<String> hintAddress =
        notActive ? NotActive.hint(trailers).activeAddress() : Optional.empty();
    StickyRouter.Member hinted = hintAddress.map(router::member).orElse(null);
    String decision;
    boolean allFailed;
    synchronized (this) {
      attempt = attempts;
      if (firstFailureNanos < 0) {
        firstFailureNanos = router.ticker.nanos();
      }
      long successes = router.successesOf(address);
      if (unreachable) {
        dead.put(address, new DeadMark(router.ticker.nanos(), successes));
      } else {
        dead.remove(address);
      }
      if (unreachable || hinted == null || lastWasHintHop) {
        stale.put(address, successes);
      }
      lastFailed = address;
      waitGeneration = router.generation();
      StickyRouter.Member remembered = router.preferredMember();
      StickyRouter.Member freeHop = freeHopUsed ? null : nextAfter(address, false);
      // A hint naming a stale member (a crashed active whose lease has not expired yet, or one
      // that just stepped down) would only ping-pong: that case waits for the backoff instead.
      if (hinted != null
          && !hinted.address().equals(address)
          && !lastWasHintHop
          && !isStale(hinted.address())) {
        next = hinted;
        lastWasHintHop = true;
        decision = "follow leader hint";
      } else if (remembered != null
          && !remembered.address().equals(address)
          && preferredChangedSinceTried(remembered.address(), waitGeneration)) {
        // Another call found the active member since this call last tried it (it may have been a
        // standby then).
        next = remembered;
        lastWasHintHop = true;
        decision = "go to remembered active";
      } else if (freeHop != null) {
        // The member this call was sent to is not (or no longer) the active one and named no
        // successor. In a handover, another member knows the successor or holds the call until
        // the election settles, so asking it at once beats a blind backoff; once per call, so a
        // group without an active is not hammered.
        next = freeHop;
        freeHopUsed = true;
        lastWasHintHop = false;
        decision = "ask the next member at once";
      } else {
        next = null;
        lastWasHintHop = false;
        decision = "next member after backoff";
      }
      handle.redirect(next != null);
      allFailed = unreachable && nextAfter(address, false) == null;
    }
    if (hintAddress.isPresent() && hinted == null) {
      router.unknownHint(hintAddress.get());
    }
    if (allFailed) {
      // No member this call has not seen fail is left: the members may all have moved.
      router.allMembersFailed();
    }
    router.trace(decision, address, notActive ? "NOT_ACTIVE" : status.getCode().name(), 0, attempt);
  }

  /**
   * The engine waits out a backoff: {@code wakeUp} runs (once, on the thread that changed the
   * router) if another call finds a new active member or members arrive while there were none, and
   * {@code wakeOnClose} if the channel closes, so that the call retries, or fails, at once.
   */
  void awaitChange(Runnable wakeUp, Runnable onClose) {
    synchronized (this) {
      wake = wakeUp;
      wakeOnClose = onClose;
    }
    router.addWaiter(this);
    if (router.isClosed()) {
      routerClosed();
    } else {
      // The router may have changed between the attempt's close and this registration.
      routerChanged();
    }
  }

  /** The engine no longer waits (its retry fired, or the call ended). */
  void stopWaiting() {
    synchronized (this) {
      wake = null;
      wakeOnClose = null;
    }
    router.removeWaiter(this);
  }

  @Override
  public void routerChanged() {
    Runnable w;
    int attempt;
    synchronized (this) {
      if (wake == null) {
        return;
      }
      boolean woken =
          lastPickEmpty
              ? router.preferredMember() != null
              : router.generation() != waitGeneration && router.preferredMember() != null;
      if (!woken) {
        return; // membership changed but nobody found a new active: keep waiting
      }
      if (!lastPickEmpty) {
        // Treated like a hint hop: if that member turns us away, its word is not followed at once.
        lastWasHintHop = true;
        next = router.preferredMember();
      }
      w = wake;
      wake = null;
      wakeOnClose = null;
      attempt = attempts;
    }
    router.removeWaiter(this);
    router.trace("woken: retry at once", "-", "-", 0, attempt);
    w.run();
  }

  @Override
  public void routerClosed() {
    Runnable w;
    synchronized (this) {
      w = wakeOnClose;
      wake = null;
      wakeOnClose = null;
    }
    router.removeWaiter(this);
    if (w != null) {
      w.run();
    }
  }

  /** The logical call ended; a success was already counted when its attempt closed. */
  void callEnded(boolean succeeded) {
    stopWaiting();
    if (!succeeded) {
      int retries;
      synchronized (this) {
        retries = Math.max(0, attempts - 1);
      }
      router.onFailure(retries);
    }
  }

  @GuardedBy("this")
  private boolean isStale(String address) {
    Long mark = stale.get(address);
    // A success on that member (seen by any call) since it was marked makes it fresh again.
    return mark != null && router.successesOf(address) <= mark;
  }

  @GuardedBy("this")
  private boolean isDead(String address) {
    DeadMark mark = dead.get(address);
    if (mark == null) {
      return false;
    }
    if (router.successesOf(address) > mark.successes()) {
      return false;
    }
    return router.ticker.nanos() - mark.atNanos() < router.deadMemberNanos;
  }

  @GuardedBy("this")
  private boolean preferredChangedSinceTried(String preferred, long generation) {
    Long tried = triedAtGeneration.get(preferred);
    return tried == null || tried < generation;
  }

  /**
   * The member a delayed retry goes to, chosen when it fires: the preferred member if another call
   * moved it meanwhile; otherwise the next member after the last one that failed, skipping members
   * that answered UNAVAILABLE in this call unless all did. Null if there are no members.
   */
  @GuardedBy("this")
  private StickyRouter.@Nullable Member delayedTarget() {
    StickyRouter.Member preferred = router.preferredMember();
    if (preferred != null && router.generation() != waitGeneration) {
      router.trace("retry goes to the active found meanwhile", preferred.address(), "-", 0, 0);
      return preferred;
    }
    return nextAfter(lastFailed, true);
  }

  /**
   * The member after {@code address} in the group, skipping members that answered UNAVAILABLE in
   * this call and preferring members whose channel is not failing to connect. With {@code
   * orAnyMember} (a delayed retry) that may be {@code address} itself, and if every member is dead
   * it is the next one anyway; without it (a hop at once) it is another live member or null. Null
   * if there are no members; {@code address} is null when no member failed yet.
   */
  @GuardedBy("this")
  private StickyRouter.@Nullable Member nextAfter(@Nullable String address, boolean orAnyMember) {
    List<StickyRouter.Member> members = router.members();
    int n = members.size();
    if (n == 0) {
      return null;
    }
    int from = -1;
    for (int i = 0; i < n; i++) {
      if (members.get(i).address().equals(address)) {
        from = i;
        break;
      }
    }
    StickyRouter.@Nullable Member unconnected = null;
    for (int i = 1; i <= n; i++) {
      StickyRouter.Member m = members.get(Math.floorMod(from + i, n));
      if ((orAnyMember || !m.address().equals(address)) && !isDead(m.address())) {
        if (!failedToConnect(m)) {
          return m;
        }
        if (unconnected == null) {
          unconnected = m;
        }
      }
    }
    if (unconnected != null) {
      return unconnected;
    }
    return orAnyMember ? members.get(Math.floorMod(from + 1, n)) : null;
  }

  /**
   * Whether the member's channel could not connect lately (TRANSIENT_FAILURE): in a search for the
   * active it comes after members that can be reached. A hint still goes to it (the hinting member
   * saw it win).
   */
  static boolean failedToConnect(StickyRouter.Member m) {
    ConnectivityState state;
    if (m.channel() instanceof LifelineChannel lease) {
      state = lease.state();
    } else if (m.channel() instanceof ManagedChannel mc) {
      state = mc.getState(false);
    } else {
      return false;
    }
    return state == ConnectivityState.TRANSIENT_FAILURE;
  }
}
