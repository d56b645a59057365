package dev.lifeline.grpc.internal;

import dev.lifeline.grpc.NotActive;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One unary call through a sticky group channel: buffers the request, runs attempts against members
 * and hands the caller only the final outcome.
 *
 * <p>While it waits out a backoff (or waits for a name resolver's first members) the call is
 * registered with the router, which wakes it when another call finds a new active member: the wait
 * is cancelled and the next attempt goes to that member at once. The scheduled retry and the
 * wake-up race for one token, so exactly one of them starts the attempt.
 *
 * <p>Thread-safe: the caller's methods, attempt callbacks, the scheduled retry and wake-ups
 * synchronize on {@code this}; attempts never overlap, so the caller's listener sees one ordered
 * sequence of callbacks.
 */
public final class StickyCall<ReqT, RespT> extends ClientCall<ReqT, RespT>
    implements StickyRouter.Waiter {

  /** What a registered call is waiting for. */
  private enum Wait {
    BACKOFF,
    MEMBERS
  }

  /** When a member answered UNAVAILABLE, and its success count then (see isDead). */
  private record DeadMark(long atNanos, long successes) {}

  private static final String CLOSED = "sticky group channel closed";

  private final StickyRouter router;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions callOptions;
  private final Deadline deadline;

  // All guarded by this.
  private Listener<RespT> listener;
  private Metadata headers;
  private ReqT message;
  private boolean halfClosed;
  private boolean cancelled;
  private boolean closed;
  private ClientCall<ReqT, RespT> current;
  private Future<?> pendingRetry;
  // Identity of the current wait; whoever clears it (timer, wake-up, cancel) owns what follows.
  private Object waitToken;
  private Wait waitKind;
  private String waitFrom;
  private long waitGeneration;
  private int attempts;
  private int delayedRetries;
  private boolean lastWasHintHop;
  private boolean freeHopUsed;
  private long firstFailureNanos = -1;
  // The router generation when this call last started an attempt on each member: the preferred
  // member is worth a free hop only if it changed since this call last tried it.
  private final Map<String, Long> triedAtGeneration = new HashMap<>();
  // Members that answered UNAVAILABLE without the marker in this call: rotation skips them.
  private final Map<String, DeadMark> dead = new HashMap<>();
  // Members whose hints must not be followed at once (value: their success count when marked):
  // they answered UNAVAILABLE (dead), NOT_ACTIVE without a hint (stepping down, knows nobody), or
  // NOT_ACTIVE right after a hop sent us there.
  private final Map<String, Long> stale = new HashMap<>();

  /** Creates a call; nothing happens until {@link #halfClose()}. */
  public StickyCall(
      StickyRouter router, MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    this.router = router;
    this.method = method;
    this.callOptions = callOptions;
    Deadline d = callOptions.getDeadline();
    Deadline ctx = Context.current().getDeadline();
    if (ctx != null && (d == null || ctx.isBefore(d))) {
      d = ctx;
    }
    this.deadline = d;
  }

  @Override
  public synchronized void start(Listener<RespT> responseListener, Metadata headers) {
    if (listener != null) {
      throw new IllegalStateException("call already started");
    }
    this.listener = responseListener;
    this.headers = headers;
  }

  @Override
  public void request(int numMessages) {
    // Unary: each attempt requests its single response itself.
  }

  @Override
  public synchronized void sendMessage(ReqT message) {
    if (this.message != null) {
      throw new IllegalStateException("unary call: one request message only");
    }
    this.message = message;
  }

  @Override
  public void halfClose() {
    StickyRouter.Member first;
    synchronized (this) {
      if (halfClosed || cancelled) {
        return;
      }
      halfClosed = true;
      first = router.preferredMember();
    }
    if (router.isClosed()) {
      finish(Status.UNAVAILABLE.withDescription(CLOSED), new Metadata(), null, null);
    } else if (first == null) {
      waitForMembers();
    } else {
      startAttempt(first);
    }
  }

  @Override
  public void cancel(String msg, Throwable cause) {
    ClientCall<ReqT, RespT> c;
    synchronized (this) {
      if (cancelled || closed) {
        return;
      }
      cancelled = true;
      c = current;
      clearWait();
    }
    if (c != null) {
      c.cancel(msg, cause);
    } else {
      // Between attempts (or before the first): nothing in flight will report the end.
      router.onFailure(Math.max(0, attempts - 1));
      finish(Status.CANCELLED.withDescription(msg).withCause(cause), new Metadata(), null, null);
    }
  }

  @Override
  public boolean isReady() {
    return true;
  }

  /** Guarded by this. Ends the current wait, if any: no timer and no wake-up will act on it. */
  private void clearWait() {
    if (pendingRetry != null) {
      pendingRetry.cancel(false);
      pendingRetry = null;
    }
    if (waitToken != null) {
      waitToken = null;
      router.removeWaiter(this);
    }
  }

  private void startAttempt(StickyRouter.Member m) {
    if (failedToConnect(m)) {
      connectThenAttempt(m, (ManagedChannel) m.channel());
    } else {
      attemptNow(m);
    }
  }

  /**
   * A member's channel that failed to connect waits out grpc's reconnect backoff (1 s, growing to 2
   * min) and fails every call fast meanwhile, even after the member came back: a restarted member
   * that wins the next election would look dead for that long. So the backoff is skipped and the
   * attempt is sent once the channel is READY; if it is not within {@code connectWaitNanos} (or the
   * call's deadline), the member counts as unreachable, as if it had answered UNAVAILABLE. The
   * request is never sent before the connection exists, so moving on to another member is safe.
   */
  private void connectThenAttempt(StickyRouter.Member m, ManagedChannel mc) {
    long wait = router.connectWaitNanos;
    synchronized (this) {
      if (cancelled || closed) {
        return;
      }
      if (deadline != null) {
        wait = Math.max(0, Math.min(wait, deadline.timeRemaining(TimeUnit.NANOSECONDS)));
      }
    }
    router.trace("reconnect first", m.address(), "TRANSIENT_FAILURE", wait, attempts + 1);
    AtomicBoolean decided = new AtomicBoolean();
    long waited = wait;
    Runnable giveUp =
        () -> {
          if (decided.compareAndSet(false, true)) {
            connectFailed(m, waited);
          }
        };
    Future<?> timer;
    try {
      timer = router.scheduler.schedule(giveUp, wait, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      giveUp.run();
      return;
    }
    mc.resetConnectBackoff();
    whenReady(
        mc,
        ConnectivityState.TRANSIENT_FAILURE,
        () -> {
          if (decided.compareAndSet(false, true)) {
            timer.cancel(false);
            attemptNow(m);
          }
        });
  }

  /** Runs {@code onReady} once {@code mc} is READY; never if it shuts down or stays unready. */
  private static void whenReady(ManagedChannel mc, ConnectivityState seen, Runnable onReady) {
    mc.notifyWhenStateChanged(
        seen,
        () -> {
          ConnectivityState now = mc.getState(false);
          if (now == ConnectivityState.READY) {
            onReady.run();
          } else if (now != ConnectivityState.SHUTDOWN) {
            whenReady(mc, now, onReady);
          }
        });
  }

  /** The member did not connect in time: an attempt that ended UNAVAILABLE, never sent. */
  private void connectFailed(StickyRouter.Member m, long waitedNanos) {
    int attempt;
    synchronized (this) {
      if (cancelled || closed) {
        return;
      }
      attempt = ++attempts;
      triedAtGeneration.put(m.address(), router.generation());
    }
    onAttemptClosed(
        m.address(),
        attempt,
        Status.UNAVAILABLE.withDescription(
            "member "
                + m.address()
                + " unreachable: not connected within "
                + TimeUnit.NANOSECONDS.toMillis(waitedNanos)
                + " ms"),
        new Metadata(),
        null,
        null);
  }

  private void attemptNow(StickyRouter.Member m) {
    ClientCall<ReqT, RespT> call = m.channel().newCall(method, callOptions);
    ReqT msg;
    Metadata h = new Metadata();
    int attempt;
    synchronized (this) {
      if (cancelled || closed) {
        return;
      }
      current = call;
      attempt = ++attempts;
      msg = message;
      h.merge(headers);
      triedAtGeneration.put(m.address(), router.generation());
    }
    router.trace("attempt", m.address(), "-", 0, attempt);
    try {
      call.start(new AttemptListener(m.address(), attempt), h);
      call.request(2);
      if (msg != null) {
        call.sendMessage(msg);
      }
      call.halfClose();
    } catch (IllegalStateException e) {
      // cancel() reached the attempt between its creation and its start: grpc refuses to start a
      // cancelled call, and no callback will ever report its end.
      boolean wasCancelled;
      synchronized (this) {
        wasCancelled = cancelled;
        current = null;
      }
      if (!wasCancelled) {
        throw e;
      }
      router.onFailure(attempt - 1);
      finish(Status.CANCELLED.withDescription("call cancelled"), new Metadata(), null, null);
    }
  }

  private void finish(Status status, Metadata trailers, Metadata respHeaders, RespT response) {
    Listener<RespT> l;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      clearWait();
      l = listener;
    }
    if (respHeaders != null) {
      l.onHeaders(respHeaders);
    }
    if (response != null) {
      l.onMessage(response);
    }
    l.onClose(status, trailers);
  }

  /** Guarded by this. */
  private boolean isStale(String address) {
    Long mark = stale.get(address);
    // A success on that member (seen by any call) since it was marked makes it fresh again.
    return mark != null && router.successesOf(address) <= mark;
  }

  /** Guarded by this. */
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

  private void onAttemptClosed(
      String address,
      int attempt,
      Status status,
      Metadata trailers,
      Metadata respHeaders,
      RespT resp) {
    synchronized (this) {
      current = null;
    }
    if (status.isOk()) {
      long first;
      synchronized (this) {
        first = firstFailureNanos;
      }
      router.onSuccess(address, attempt - 1, first);
      router.trace("success", address, "OK", 0, attempt);
      finish(status, trailers, respHeaders, resp);
      return;
    }
    boolean notActive = NotActive.isNotActive(status, trailers);
    boolean unavailable = !notActive && status.getCode() == Status.Code.UNAVAILABLE;
    boolean wasCancelled;
    synchronized (this) {
      wasCancelled = cancelled;
    }
    if (wasCancelled || (!notActive && !unavailable)) {
      router.onFailure(attempt - 1);
      router.trace("surface", address, status.getCode().name(), 0, attempt);
      finish(status, trailers, respHeaders, resp);
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
    StickyRouter.Member next = null;
    long delay = 0;
    boolean giveUp = false;
    boolean waiting = false;
    String decision;
    synchronized (this) {
      if (firstFailureNanos < 0) {
        firstFailureNanos = router.ticker.nanos();
      }
      long successes = router.successesOf(address);
      if (unavailable) {
        dead.put(address, new DeadMark(router.ticker.nanos(), successes));
      } else {
        dead.remove(address);
      }
      if (unavailable || hinted == null || lastWasHintHop) {
        stale.put(address, successes);
      }
      StickyRouter.Member remembered = router.preferredMember();
      long generation = router.generation();
      int retriesUsed = delayedRetries + (freeHopUsed ? 1 : 0);
      boolean mayRetry =
          (deadline != null && router.retryUntilDeadline) || retriesUsed < router.maxRetries;
      StickyRouter.Member freeHop = freeHopUsed || !mayRetry ? null : nextAfter(address, false);
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
          && preferredChangedSinceTried(remembered.address(), generation)) {
        // Another call found the active member since this call last tried it (it may have been a
        // standby then).
        next = remembered;
        lastWasHintHop = true;
        decision = "go to remembered active";
      } else if (freeHop != null) {
        // The member this call was sent to is not (or no longer) the active one and named no
        // successor. In a handover, another member knows the successor or holds the call until
        // the election settles, so asking it at once beats a blind backoff (the original's first
        // retry had no delay either); once per call, so a group without an active is not
        // hammered. It counts as one of maxRetries.
        next = freeHop;
        freeHopUsed = true;
        lastWasHintHop = false;
        decision = "ask the next member at once";
      } else {
        if (!mayRetry) {
          giveUp = true;
          decision = "give up: retries exhausted";
        } else {
          delay = router.backoffNanos(delayedRetries++);
          lastWasHintHop = false;
          decision = "next member after backoff";
        }
      }
      if (!giveUp && deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= delay) {
        giveUp = true;
        decision = "give up: deadline leaves no room";
      }
      if (!giveUp && router.isClosed()) {
        giveUp = true;
        decision = "give up: " + CLOSED;
      }
      if (!giveUp && next == null && !cancelled && !closed) {
        // The target is picked when the retry fires (or the call is woken), not now.
        waitKind = Wait.BACKOFF;
        waitFrom = address;
        waitGeneration = generation;
        waiting = registerWait(delay);
        if (!waiting) {
          giveUp = true;
          decision = "give up: " + CLOSED;
        }
      }
    }
    if (waiting && router.isClosed()) {
      // close() may have run between the check above and the registration.
      routerClosed();
      return;
    }
    if (hintAddress.isPresent() && hinted == null) {
      router.unknownHint(hintAddress.get());
    }
    router.trace(decision, address, notActive ? "NOT_ACTIVE" : "UNAVAILABLE", delay, attempt);
    if (giveUp) {
      router.onFailure(attempt - 1);
      finish(status, trailers, respHeaders, resp);
    } else if (next != null) {
      startAttempt(next);
    }
  }

  /**
   * Guarded by this. Registers a wait with the router and schedules its end after {@code
   * delayNanos}; false (nothing registered) if the scheduler refuses, i.e. the channel is closing.
   */
  private boolean registerWait(long delayNanos) {
    Object token = new Object();
    waitToken = token;
    router.addWaiter(this);
    try {
      pendingRetry =
          router.scheduler.schedule(() -> retryFired(token), delayNanos, TimeUnit.NANOSECONDS);
      return true;
    } catch (RejectedExecutionException e) {
      clearWait();
      return false;
    }
  }

  /** Guarded by this. */
  private boolean preferredChangedSinceTried(String preferred, long generation) {
    Long tried = triedAtGeneration.get(preferred);
    return tried == null || tried < generation;
  }

  /** The scheduled end of a wait: a backoff is over, or the deadline passed waiting for members. */
  private void retryFired(Object token) {
    StickyRouter.Member target;
    Wait kind;
    synchronized (this) {
      if (waitToken != token || cancelled || closed) {
        return;
      }
      kind = waitKind;
      pendingRetry = null;
      clearWait();
      target = kind == Wait.BACKOFF ? delayedTarget() : null;
    }
    if (kind == Wait.MEMBERS) {
      router.onFailure(Math.max(0, attempts - 1));
      finish(
          Status.DEADLINE_EXCEEDED.withDescription(
              "deadline exceeded waiting for members: " + router.noMembersDescription()),
          new Metadata(),
          null,
          null);
    } else if (target == null) {
      waitForMembers();
    } else {
      startAttempt(target);
    }
  }

  /**
   * Guarded by this. The member a delayed retry goes to, chosen when it fires: the preferred member
   * if another call moved it meanwhile; otherwise the next member after the last one tried,
   * skipping members that answered UNAVAILABLE in this call unless all did. Null if there are no
   * members.
   */
  private StickyRouter.Member delayedTarget() {
    StickyRouter.Member preferred = router.preferredMember();
    if (preferred != null && router.generation() != waitGeneration) {
      router.trace("retry goes to the active found meanwhile", preferred.address(), "-", 0, 0);
      return preferred;
    }
    return nextAfter(waitFrom, true);
  }

  /**
   * Guarded by this. The member after {@code address} in the group, skipping members that answered
   * UNAVAILABLE in this call and preferring members whose channel is not failing to connect. With
   * {@code orAnyMember} (a delayed retry) that may be {@code address} itself, and if every member
   * is dead it is the next one anyway; without it (a free hop) it is another live member or null.
   * Null if there are no members.
   */
  private StickyRouter.Member nextAfter(String address, boolean orAnyMember) {
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
    StickyRouter.Member unconnected = null;
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
   * saw it win), and then the attempt reconnects first.
   */
  private static boolean failedToConnect(StickyRouter.Member m) {
    return m.channel() instanceof ManagedChannel mc
        && mc.getState(false) == ConnectivityState.TRANSIENT_FAILURE;
  }

  /**
   * No member is known (a name resolver has not answered yet): waits for members until the
   * deadline; a call without a deadline fails at once, since nothing may wait without one.
   */
  private void waitForMembers() {
    Status fail = null;
    synchronized (this) {
      if (cancelled || closed) {
        return;
      }
      if (deadline == null) {
        fail = Status.UNAVAILABLE.withDescription(router.noMembersDescription());
      } else {
        long remaining = deadline.timeRemaining(TimeUnit.NANOSECONDS);
        if (remaining <= 0) {
          fail =
              Status.DEADLINE_EXCEEDED.withDescription(
                  "deadline exceeded waiting for members: " + router.noMembersDescription());
        } else {
          waitKind = Wait.MEMBERS;
          if (!registerWait(remaining)) {
            fail = Status.UNAVAILABLE.withDescription(CLOSED);
          }
        }
      }
    }
    router.trace(fail == null ? "wait for members" : "give up: no members", "-", "-", 0, attempts);
    if (fail != null) {
      router.onFailure(Math.max(0, attempts - 1));
      finish(fail, new Metadata(), null, null);
      return;
    }
    if (router.isClosed()) {
      routerClosed();
      return;
    }
    // Members may have arrived between the check and the registration.
    routerChanged();
  }

  @Override
  public void routerClosed() {
    synchronized (this) {
      if (waitToken == null || cancelled || closed) {
        return;
      }
      clearWait();
    }
    router.onFailure(Math.max(0, attempts - 1));
    finish(Status.UNAVAILABLE.withDescription(CLOSED), new Metadata(), null, null);
  }

  @Override
  public void routerChanged() {
    StickyRouter.Member target;
    synchronized (this) {
      if (waitToken == null || cancelled || closed) {
        return;
      }
      target = router.preferredMember();
      if (target == null) {
        return;
      }
      if (waitKind == Wait.BACKOFF) {
        if (router.generation() == waitGeneration) {
          return; // membership changed but nobody found a new active: keep waiting
        }
        // Treated like a hint hop: if that member turns us away, its word is not followed at once.
        lastWasHintHop = true;
      }
      clearWait();
    }
    router.trace("woken: go to the preferred member", target.address(), "-", 0, attempts);
    startAttempt(target);
  }

  private final class AttemptListener extends ClientCall.Listener<RespT> {
    private final String address;
    private final int attempt;
    // Callbacks of one attempt are serialized by grpc; only the last one reads these.
    private Metadata respHeaders;
    private RespT response;

    AttemptListener(String address, int attempt) {
      this.address = address;
      this.attempt = attempt;
    }

    @Override
    public void onHeaders(Metadata h) {
      respHeaders = h;
    }

    @Override
    public void onMessage(RespT message) {
      response = message;
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      onAttemptClosed(address, attempt, status, trailers, respHeaders, response);
    }
  }
}
