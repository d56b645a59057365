package dev.lifeline.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.core.FailureKind;
import dev.lifeline.core.RetryPolicy;
import dev.lifeline.testing.FakeClock;
import dev.lifeline.testing.Utf8Marshaller;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StickyGroupChannelTest {

  private static final MethodDescriptor.Marshaller<String> STRING = Utf8Marshaller.INSTANCE;

  /** Marked idempotent, as {@code idempotency_level = IDEMPOTENT} does: may be re-sent. */
  private static final MethodDescriptor<String, String> METHOD =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("t.S/Do")
          .setIdempotent(true)
          .setRequestMarshaller(STRING)
          .setResponseMarshaller(STRING)
          .build();

  /** Not marked: a write that must never run twice. */
  private static final MethodDescriptor<String, String> WRITE =
      METHOD.toBuilder().setFullMethodName("t.S/Write").setIdempotent(false).build();

  /** What a fake member answers. */
  enum Mode {
    OK,
    NOT_ACTIVE_NO_HINT,
    NOT_ACTIVE_HINT_C,
    INVALID,
    /** Plain UNAVAILABLE without the marker: a crashed or unreachable member. */
    DEAD,
    /** Holds this request until the test answers it, then answers NOT_ACTIVE with a hint to c. */
    HOLD_ONCE,
    /** NOT_ACTIVE with a hint to {@link #hintAddress}. */
    NOT_ACTIVE_HINT_ADDRESS,
    /** Never answers: a paused (SIGSTOP) process whose connection is still open. */
    HANG
  }

  private volatile String hintAddress;

  private final Map<String, StreamObserver<String>> held = new ConcurrentHashMap<>();

  private final Map<String, Mode> modes = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final Map<String, io.grpc.Deadline> deadlines = new ConcurrentHashMap<>();
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final FakeClock clock = new FakeClock();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private StickyGroupChannel sticky;
  private final ChannelPool plaintext =
      ChannelPool.builder().builderFactory(ChannelBuilderFactory.plaintext()).build();

  @AfterEach
  void tearDown() {
    if (sticky != null) {
      sticky.close();
    }
    plaintext.close();
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
  }

  private void startMember(String name, Mode mode) throws IOException {
    modes.put(name, mode);
    hits.put(name, new AtomicInteger());
    servers.add(
        InProcessServerBuilder.forName("sticky-" + name)
            .directExecutor()
            .addService(service(name))
            .build()
            .start());
    channels.add(InProcessChannelBuilder.forName("sticky-" + name).directExecutor().build());
  }

  /** The fake member {@code name}, answering as {@link #modes} says. */
  private ServerServiceDefinition service(String name) {
    return ServerServiceDefinition.builder("t.S")
        .addMethod(METHOD, ServerCalls.asyncUnaryCall((req, obs) -> answer(name, obs)))
        .addMethod(WRITE, ServerCalls.asyncUnaryCall((req, obs) -> answer(name, obs)))
        .build();
  }

  private void answer(String name, StreamObserver<String> obs) {
    hits.get(name).incrementAndGet();
    io.grpc.Deadline seen = io.grpc.Context.current().getDeadline();
    if (seen != null) {
      deadlines.put(name, seen);
    }
    switch (modes.get(name)) {
      case OK -> {
        obs.onNext(name);
        obs.onCompleted();
      }
      case NOT_ACTIVE_NO_HINT -> obs.onError(NotActive.exception(name, "g", null, null));
      case NOT_ACTIVE_HINT_C -> obs.onError(NotActive.exception(name, "g", "c", "c"));
      case INVALID ->
          obs.onError(Status.INVALID_ARGUMENT.withDescription("bad").asRuntimeException());
      case DEAD -> obs.onError(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
      case NOT_ACTIVE_HINT_ADDRESS -> obs.onError(NotActive.exception(name, "g", "x", hintAddress));
      case HANG -> held.put(name + hits.get(name).get(), obs);
      case HOLD_ONCE -> {
        modes.put(name, Mode.NOT_ACTIVE_HINT_C);
        held.put(name, obs);
      }
    }
  }

  /** The group's policy on fake time, without jitter (a draw of 0.5 leaves each delay as is). */
  private CallPolicy policy(RetryPolicy retry) {
    return CallPolicy.builder()
        .service("g")
        .retryPolicy(retry)
        .circuitBreakers(CircuitBreakers.disabled())
        .ticker(clock)
        .random(() -> 0.5)
        .meterRegistry(registry)
        .build();
  }

  private StickyGroupChannel.Builder builder() {
    return builder(StickyGroupChannel.defaultRetryPolicy());
  }

  private StickyGroupChannel.Builder builder(RetryPolicy retry) {
    StickyGroupChannel.Builder b =
        StickyGroupChannel.builder("g").scheduler(clock.scheduler()).callPolicy(policy(retry));
    String[] names = {"a", "b", "c"};
    for (int i = 0; i < channels.size(); i++) {
      b.member(names[i], channels.get(i));
    }
    return b;
  }

  private static RetryPolicy attempts(int n) {
    return StickyGroupChannel.defaultRetryPolicy().toBuilder().maxAttempts(n).build();
  }

  private ListenableFuture<String> call(CallOptions options) {
    return ClientCalls.futureUnaryCall(sticky.newCall(METHOD, options), "req");
  }

  /** Runs what is due on the fake scheduler (hops made at once) until the call ends. */
  private String get(ListenableFuture<String> f) throws Exception {
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(1))
        .until(
            () -> {
              clock.runDueTasks();
              return f.isDone();
            });
    return f.get();
  }

  /** Runs what is due until exactly {@code n} tasks (backoffs) wait on the fake scheduler. */
  private void awaitWaiting(int n) {
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(1))
        .until(
            () -> {
              clock.runDueTasks();
              return clock.pendingTasks() == n;
            });
  }

  // Regression: the original sent NOT_ACTIVE as a successful response, so clients never retried.
  @Test
  void notActiveWithAHintGoesStraightToTheHintedMemberAndIsRemembered() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_HINT_C);
    startMember("b", Mode.NOT_ACTIVE_HINT_C);
    startMember("c", Mode.OK);
    sticky = builder().build();
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("c");
    assertThat(hits.get("b").get()).as("no detour through b").isZero();
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("c");
    assertThat(hits.get("a").get()).as("steady state goes straight to c").isEqualTo(1);
    assertThat(sticky.preferredMember()).contains("c");
    assertThat(registry.get("lifeline.sticky.not_active").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("lifeline.sticky.retries").summary().totalAmount()).isEqualTo(1.0);
    assertThat(registry.get("lifeline.sticky.failover.latency").timer().count()).isEqualTo(1);
  }

  @Test
  void theFirstNotActiveWithoutAHintAsksTheNextMemberAtOnce() throws Exception {
    // In a handover the next member knows the successor, or holds the call until it does.
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.OK);
    sticky = builder().build();
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("b");
    assertThat(clock.pendingTasks()).as("no backoff was scheduled").isZero();
  }

  @Test
  void laterNotActiveAnswersWithoutAHintTryTheNextMemberAfterTheBackoff() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.OK);
    sticky = builder().build();
    ListenableFuture<String> f = call(CallOptions.DEFAULT); // a, then at once b
    awaitWaiting(1);
    assertThat(hits.get("b").get()).isEqualTo(1);
    clock.forward(Duration.ofMillis(99));
    assertThat(f).isNotDone();
    assertThat(hits.get("c").get()).isZero();
    clock.forward(Duration.ofMillis(1)); // the policy's first backoff, 100 ms (no jitter drawn)
    assertThat(get(f)).isEqualTo("c");
  }

  @Test
  void otherErrorsSurfaceAfterOneAttemptWithTheServersOwnMessage() {
    startMemberQuietly("a", Mode.INVALID);
    startMemberQuietly("b", Mode.OK);
    sticky = builder().build();
    assertThatThrownBy(() -> get(call(CallOptions.DEFAULT)))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageStartingWith("INVALID_ARGUMENT: bad [g t.S/Do failed after 1 attempt")
        .satisfies(
            e ->
                assertThat(LifelineCallException.from(e).orElseThrow().report().stopReason())
                    .isEqualTo(dev.lifeline.core.StopReason.NON_RETRYABLE));
    assertThat(hits.get("b").get()).isZero();
    assertThat(registry.get("lifeline.sticky.calls").tag("outcome", "failure").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void callWithoutDeadlineGivesUpAfterThreeRetriesAtZeroHundredAndTwoHundredMs() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    sticky = builder().build();
    ListenableFuture<String> f = call(CallOptions.DEFAULT);
    awaitWaiting(1);
    // Direct executors: each retry runs inside forward() and schedules the next one.
    clock.forward(Duration.ofSeconds(10));
    assertThatThrownBy(() -> get(f))
        .cause()
        .satisfies(t -> assertThat(NotActive.isNotActive(t)).isTrue());
    // The first attempt, the free hop to the next member, then two delayed retries: the
    // original's schedule of 3 retries after 0, 100 and 200 ms.
    assertThat(hits.get("a").get() + hits.get("b").get()).isEqualTo(4);
  }

  @Test
  void builderRejectsBadOptionsNamingFieldAndRange() {
    assertThatThrownBy(() -> StickyGroupChannel.builder(" "))
        .hasMessage("group: ' ' (expected: non-blank)");
    assertThatThrownBy(() -> StickyGroupChannel.builder("g").member("a").member("a"))
        .hasMessage("address: a (expected: each member once, group g)");
    assertThatThrownBy(() -> StickyGroupChannel.builder("g").build())
        .hasMessage("members: none (expected: >= 1, group g)");
  }

  @Test
  void notActiveStatusCarriesMarkerAndHint() {
    StatusRuntimeException e = NotActive.exception("m2", "orders/eu-1", "m1", "10.0.0.1:50051");
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).startsWith("NOT_ACTIVE");
    assertThat(NotActive.isNotActive(e)).isTrue();
    assertThat(NotActive.hint(e.getTrailers()).activeAddress()).contains("10.0.0.1:50051");
    assertThat(NotActive.isNotActive(Status.UNAVAILABLE.asRuntimeException())).isFalse();
  }

  @Test
  void aCallWaitingOutABackoffIsWokenWhenAnotherCallFindsTheNewActive() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.NOT_ACTIVE_NO_HINT);
    sticky = builder().build();
    ListenableFuture<String> waiting = call(CallOptions.DEFAULT);
    awaitWaiting(1);
    assertThat(waiting).isNotDone();

    // c is elected; a now knows it. Another call finds c through a's hint.
    modes.put("a", Mode.NOT_ACTIVE_HINT_C);
    modes.put("c", Mode.OK);
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("c");

    // Without time moving, the waiting call went straight to c.
    assertThat(get(waiting)).isEqualTo("c");
    assertThat(hits.get("b").get()).as("only the free hop reached b").isEqualTo(1);
    assertThat(clock.pendingTasks()).as("its scheduled retry was cancelled").isZero();
    clock.forward(Duration.ofSeconds(10));
    assertThat(hits.get("c").get()).as("one attempt per call, no double start").isEqualTo(2);
  }

  @Test
  void manyWaitingCallsAllRetryAtOnceWhenTheActiveIsFound() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.NOT_ACTIVE_NO_HINT);
    sticky = builder().build();
    List<ListenableFuture<String>> waiting = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      waiting.add(call(CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES)));
    }
    awaitWaiting(5);
    modes.put("a", Mode.NOT_ACTIVE_HINT_C);
    modes.put("c", Mode.OK);
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("c");
    for (ListenableFuture<String> f : waiting) {
      assertThat(get(f)).isEqualTo("c");
    }
    assertThat(clock.pendingTasks()).isZero();
    assertThat(hits.get("c").get()).isEqualTo(6);
  }

  @Test
  void aCallGoesToTheRememberedActiveItTriedEarlierWhileThatWasAStandby() throws Exception {
    // Before: a call went to the remembered member only if it had never tried it in this call,
    // so a member that was a standby at the time and won the election later cost a full backoff.
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.NOT_ACTIVE_NO_HINT);
    StickyGroupChannel.Builder b =
        StickyGroupChannel.builder("g")
            .scheduler(clock.scheduler())
            .callPolicy(policy(StickyGroupChannel.defaultRetryPolicy()))
            .member("a", channels.get(0))
            .member("c", channels.get(1));
    sticky = b.build();
    ListenableFuture<String> x = call(CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES));
    awaitWaiting(1);
    assertThat(hits.get("c").get()).as("the free hop tried c, a standby then").isEqualTo(1);
    modes.put("a", Mode.HOLD_ONCE);
    clock.forward(Duration.ofMillis(130)); // retry to a, which holds the request
    assertThat(held).containsKey("a");

    // Meanwhile c is elected and another call finds it: c becomes preferred.
    modes.put("c", Mode.OK);
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("c");
    assertThat(x).as("in an attempt, not waiting: nothing to wake").isNotDone();

    held.get("a").onError(NotActive.exception("a", "g", null, null));
    assertThat(get(x)).as("no backoff: straight to c").isEqualTo("c");
    assertThat(clock.pendingTasks()).isZero();
  }

  @Test
  void rotationSkipsAMemberThatAnsweredUnavailableInThisCall() throws Exception {
    // A crashed active would otherwise take every third retry during the lease-expiry window.
    startMember("a", Mode.DEAD);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.NOT_ACTIVE_NO_HINT);
    sticky = builder(attempts(6)).build();
    ListenableFuture<String> f = call(CallOptions.DEFAULT);
    awaitWaiting(1);
    clock.forward(Duration.ofSeconds(10));
    assertThatThrownBy(() -> get(f)).cause().hasMessageContaining("NOT_ACTIVE");
    // a, the free hop to b, then four delayed retries alternating between c and b.
    assertThat(hits.get("a").get()).as("a only once, at the start").isEqualTo(1);
    assertThat(hits.get("b").get()).isEqualTo(3);
    assertThat(hits.get("c").get()).isEqualTo(2);
  }

  @Test
  void whenEveryMemberIsDeadRotationVisitsThemAllInTurn() throws Exception {
    startMember("a", Mode.DEAD);
    startMember("b", Mode.DEAD);
    startMember("c", Mode.DEAD);
    sticky = builder(attempts(6)).build();
    ListenableFuture<String> f = call(CallOptions.DEFAULT);
    awaitWaiting(1);
    clock.forward(Duration.ofSeconds(10));
    assertThatThrownBy(() -> get(f)).cause().hasMessageContaining("down");
    assertThat(List.of(hits.get("a").get(), hits.get("b").get(), hits.get("c").get()))
        .containsExactly(2, 2, 2); // a, free hop to b, then c, a, b, c
  }

  @Test
  void aDeadMemberThatComesBackAsActiveIsFoundByTheSameCall() throws Exception {
    startMember("a", Mode.DEAD);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.NOT_ACTIVE_NO_HINT);
    sticky = builder().build();
    ListenableFuture<String> f = call(CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES));
    awaitWaiting(1);
    modes.put("a", Mode.OK); // a restarts and wins again; b and c still know nobody
    clock.forward(Duration.ofSeconds(4)); // the dead mark lasts 4 x maxBackoff = 2 s
    assertThat(get(f)).isEqualTo("a");
  }

  @Test
  void cancellingACallWaitingOutABackoffClosesItAtOnce() throws Exception {
    // Before: cancel() during a backoff went to the already-closed attempt, so the caller's
    // listener never heard back.
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.OK);
    sticky = builder().build();
    List<Status> closes = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.grpc.ClientCall<String, String> c = sticky.newCall(METHOD, CallOptions.DEFAULT);
    c.start(
        new io.grpc.ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, io.grpc.Metadata trailers) {
            closes.add(status);
          }
        },
        new io.grpc.Metadata());
    c.request(1);
    c.sendMessage("req");
    c.halfClose();
    awaitWaiting(1);
    c.cancel("caller gave up", null);
    await().atMost(Duration.ofSeconds(5)).until(() -> !closes.isEmpty());
    assertThat(closes)
        .singleElement()
        .satisfies(s -> assertThat(s.getCode()).isEqualTo(Status.Code.CANCELLED));
    assertThat(clock.pendingTasks()).isZero();
    clock.forward(Duration.ofSeconds(1));
    assertThat(hits.get("c").get()).isZero();
    assertThat(closes).hasSize(1);
  }

  @Test
  void closeFailsCallsStillWaitingOutABackoff() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.OK);
    sticky = builder().build();
    ListenableFuture<String> f = call(CallOptions.DEFAULT);
    awaitWaiting(1);
    sticky.close();
    assertThatThrownBy(() -> get(f))
        .cause()
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageStartingWith(
            "FAILED_PRECONDITION: lifeline: sticky group channel g is closed (method t.S/Do)");
    assertThat(hits.get("c").get()).isZero();
    assertThat(String.valueOf(sticky.members()).toLowerCase(Locale.ROOT)).contains("a", "b");
  }

  @Test
  void aHintToAMemberThatCameBackSkipsGrpcsReconnectBackoff() throws Exception {
    // Seen in the failover bench: a crashed member restarts and wins the next election, but the
    // client's channel to it still waits out grpc's reconnect backoff (1 s and growing) and fails
    // every call fast meanwhile, so the new active looked dead for about a second.
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    hintAddress = "127.0.0.1:" + port;
    startMember("b", Mode.OK);
    sticky =
        StickyGroupChannel.builder("g")
            .scheduler(clock.scheduler())
            .callPolicy(policy(attempts(2)))
            .channelPool(plaintext)
            .member(hintAddress) // a lease the sticky channel takes on the pool
            .member("b", channels.get(0))
            .build();
    // Nothing listens there yet: refused, and the free hop finds b.
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("b");

    modes.put("back", Mode.OK);
    hits.put("back", new AtomicInteger());
    servers.add(
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
            .addService(service("back"))
            .build()
            .start());
    modes.put("b", Mode.NOT_ACTIVE_HINT_ADDRESS);
    // One retry: if the hinted attempt failed fast, the free hop would go back to b, whose hint
    // then names a stale member, and the call would give up.
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("back");
  }

  @Test
  void theSearchForTheActiveTriesMembersThatCanBeReachedFirst() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    String down = "127.0.0.1:" + port; // crashed in an earlier failover, never came back
    startMember("b", Mode.OK);
    startMember("c", Mode.NOT_ACTIVE_NO_HINT);
    sticky =
        StickyGroupChannel.builder("g")
            .scheduler(clock.scheduler())
            .callPolicy(policy(attempts(3)))
            .channelPool(plaintext)
            .member(down)
            .member("b", channels.get(0))
            .member("c", channels.get(1))
            .build();
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("b");

    modes.put("b", Mode.NOT_ACTIVE_NO_HINT);
    ListenableFuture<String> f = call(CallOptions.DEFAULT); // b, then at once c, then a backoff
    awaitWaiting(1);
    clock.forward(Duration.ofMillis(130));
    // The retry after c skipped the member that cannot be reached and went on to b.
    assertThatThrownBy(() -> get(f)).cause().hasMessageContaining("NOT_ACTIVE");
    assertThat(hits.get("b").get()).isEqualTo(3);
    assertThat(hits.get("c").get()).isEqualTo(1);
  }

  // Review finding 4: the sticky channel re-sent a call after any UNAVAILABLE, whatever the
  // method's idempotency, so a write the crashed active had applied ran again elsewhere.
  @Test
  void aWriteIsNeverSentAgainAfterTheMemberAnsweredUnavailable() throws Exception {
    startMember("a", Mode.DEAD);
    startMember("b", Mode.OK);
    sticky = builder().build();
    ListenableFuture<String> f =
        ClientCalls.futureUnaryCall(
            sticky.newCall(WRITE, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES)),
            "req");
    assertThatThrownBy(() -> get(f))
        .cause()
        .satisfies(
            e ->
                assertThat(LifelineCallException.from(e).orElseThrow().report().stopReason())
                    .isEqualTo(dev.lifeline.core.StopReason.NOT_IDEMPOTENT));
    assertThat(hits.get("a").get()).isEqualTo(1);
    assertThat(hits.get("b").get()).as("the write did not move").isZero();
  }

  private static RetryPolicy retryingTimeoutsAfter(Duration perAttempt) {
    return StickyGroupChannel.defaultRetryPolicy().toBuilder()
        .maxAttempts(3)
        .perAttemptTimeout(perAttempt)
        .retryOn(FailureKind.UNAVAILABLE, FailureKind.NOT_ACTIVE, FailureKind.TIMEOUT)
        .build();
  }

  // Chaos run finding: an active paused by SIGSTOP keeps its connection open; each attempt that
  // timed out on it went back to it, so every call hung until the pause ended.
  @Test
  void anIdempotentCallWhoseAttemptTimedOutOnAHungMemberMovesToTheNextMember() throws Exception {
    startMember("a", Mode.HANG);
    startMember("b", Mode.OK);
    sticky = builder(retryingTimeoutsAfter(Duration.ofMillis(100))).build();

    assertThat(get(call(CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES))))
        .isEqualTo("b");
    assertThat(hits.get("a").get()).as("the hung member is not asked again").isEqualTo(1);
  }

  @Test
  void aWriteWhoseAttemptTimedOutIsNeverSentAgain() throws Exception {
    startMember("a", Mode.HANG);
    startMember("b", Mode.OK);
    sticky = builder(retryingTimeoutsAfter(Duration.ofMillis(100))).build();
    ListenableFuture<String> f =
        ClientCalls.futureUnaryCall(
            sticky.newCall(WRITE, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES)),
            "req");

    assertThatThrownBy(() -> get(f))
        .cause()
        .satisfies(
            e ->
                assertThat(LifelineCallException.from(e).orElseThrow().report().stopReason())
                    .isEqualTo(dev.lifeline.core.StopReason.NOT_IDEMPOTENT));
    assertThat(hits.get("b").get()).as("the write did not move").isZero();
  }

  @Test
  void aWriteTurnedAwayByAStandbyMovesToTheActiveItNames() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_HINT_C);
    startMember("b", Mode.OK);
    startMember("c", Mode.OK);
    sticky = builder().build();
    ListenableFuture<String> f =
        ClientCalls.futureUnaryCall(sticky.newCall(WRITE, CallOptions.DEFAULT), "req");
    assertThat(get(f)).isEqualTo("c");
    assertThat(hits.get("c").get()).isEqualTo(1);
  }

  // Review finding 2: a call woken by another call's success ran its attempt in that call's
  // Context, and was cancelled when that call's server handler finished.
  @Test
  void aCallWokenByAnotherCallsSuccessRunsInItsOwnContext() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.NOT_ACTIVE_NO_HINT);
    sticky = builder().build();
    ListenableFuture<String> waiting =
        call(CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES));
    awaitWaiting(1);

    modes.put("a", Mode.NOT_ACTIVE_HINT_C);
    modes.put("c", Mode.OK);
    io.grpc.Context.CancellableContext other = io.grpc.Context.current().withCancellation();
    ListenableFuture<String> finder = other.call(() -> call(CallOptions.DEFAULT));
    assertThat(get(finder)).isEqualTo("c");
    other.cancel(null); // the other call's own server handler finished

    assertThat(get(waiting)).isEqualTo("c");
  }

  @Test
  void aRetryStartedByTheSchedulerCarriesTheCallersContextDeadline() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    startMember("c", Mode.OK);
    sticky = builder().build();
    io.grpc.Context.CancellableContext ctx =
        io.grpc.Context.current()
            .withDeadlineAfter(
                1,
                TimeUnit.MINUTES,
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor());
    ListenableFuture<String> f = ctx.call(() -> call(CallOptions.DEFAULT));
    awaitWaiting(1);
    clock.forward(Duration.ofMillis(100)); // the retry starts on the scheduler's thread
    assertThat(get(f)).isEqualTo("c");
    assertThat(deadlines.get("c")).as("the server saw the caller's deadline").isNotNull();
    ctx.cancel(null);
  }

  // Review finding 13: cancel() before start() threw from inside StickyCall and left the call open.
  @Test
  void cancelBeforeStartIsSafeAndTheCloseComesOnStart() throws Exception {
    startMember("a", Mode.OK);
    sticky = builder().build();
    io.grpc.ClientCall<String, String> c = sticky.newCall(METHOD, CallOptions.DEFAULT);
    c.cancel("changed my mind", null);
    List<Status> closes = new java.util.concurrent.CopyOnWriteArrayList<>();
    c.start(
        new io.grpc.ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, io.grpc.Metadata trailers) {
            closes.add(status);
          }
        },
        new io.grpc.Metadata());
    await().atMost(Duration.ofSeconds(5)).until(() -> closes.size() == 1);
    assertThat(closes.get(0).getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(hits.get("a").get()).isZero();
  }

  private void startMemberQuietly(String name, Mode mode) {
    try {
      startMember(name, mode);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
