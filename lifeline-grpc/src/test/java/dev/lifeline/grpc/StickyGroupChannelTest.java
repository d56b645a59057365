package dev.lifeline.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
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
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StickyGroupChannelTest {

  private static final MethodDescriptor.Marshaller<String> STRING = Utf8Marshaller.INSTANCE;

  private static final MethodDescriptor<String, String> METHOD =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("t.S/Do")
          .setRequestMarshaller(STRING)
          .setResponseMarshaller(STRING)
          .build();

  /** What a fake member answers. */
  enum Mode {
    OK,
    NOT_ACTIVE_NO_HINT,
    NOT_ACTIVE_HINT_C,
    INVALID
  }

  private final Map<String, Mode> modes = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final FakeClock clock = new FakeClock();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private StickyGroupChannel sticky;

  @AfterEach
  void tearDown() {
    if (sticky != null) {
      sticky.close();
    }
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
  }

  private void startMember(String name, Mode mode) throws IOException {
    modes.put(name, mode);
    hits.put(name, new AtomicInteger());
    ServerServiceDefinition def =
        ServerServiceDefinition.builder("t.S")
            .addMethod(
                METHOD,
                ServerCalls.asyncUnaryCall(
                    (req, obs) -> {
                      hits.get(name).incrementAndGet();
                      switch (modes.get(name)) {
                        case OK -> {
                          obs.onNext(name);
                          obs.onCompleted();
                        }
                        case NOT_ACTIVE_NO_HINT ->
                            obs.onError(NotActive.exception(name, "g", null, null));
                        case NOT_ACTIVE_HINT_C ->
                            obs.onError(NotActive.exception(name, "g", "c", "c"));
                        case INVALID ->
                            obs.onError(
                                Status.INVALID_ARGUMENT
                                    .withDescription("bad")
                                    .asRuntimeException());
                      }
                    }))
            .build();
    servers.add(
        InProcessServerBuilder.forName("sticky-" + name)
            .directExecutor()
            .addService(def)
            .build()
            .start());
    channels.add(InProcessChannelBuilder.forName("sticky-" + name).directExecutor().build());
  }

  private StickyGroupChannel.Builder builder() {
    StickyGroupChannel.Builder b =
        StickyGroupChannel.builder("g")
            .scheduler(clock.scheduler())
            .ticker(clock)
            .random(new java.util.SplittableRandom(1))
            .meterRegistry(registry);
    String[] names = {"a", "b", "c"};
    for (int i = 0; i < channels.size(); i++) {
      b.member(names[i], channels.get(i));
    }
    return b;
  }

  private ListenableFuture<String> call(CallOptions options) {
    return ClientCalls.futureUnaryCall(sticky.newCall(METHOD, options), "req");
  }

  // Regression: the original sent NOT_ACTIVE as a successful response, so clients never retried.
  @Test
  void notActiveWithAHintGoesStraightToTheHintedMemberAndIsRemembered() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_HINT_C);
    startMember("b", Mode.NOT_ACTIVE_HINT_C);
    startMember("c", Mode.OK);
    sticky = builder().build();
    assertThat(call(CallOptions.DEFAULT).get(5, TimeUnit.SECONDS)).isEqualTo("c");
    assertThat(hits.get("b").get()).as("no detour through b").isZero();
    assertThat(call(CallOptions.DEFAULT).get(5, TimeUnit.SECONDS)).isEqualTo("c");
    assertThat(hits.get("a").get()).as("steady state goes straight to c").isEqualTo(1);
    assertThat(sticky.preferredMember()).isEqualTo("c");
    assertThat(registry.get("lifeline.sticky.not_active").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("lifeline.sticky.retries").summary().totalAmount()).isEqualTo(1.0);
    assertThat(registry.get("lifeline.sticky.failover.latency").timer().count()).isEqualTo(1);
  }

  @Test
  void notActiveWithoutAHintTriesTheNextMemberAfterAJitteredBackoff() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.OK);
    sticky = builder().build();
    ListenableFuture<String> f = call(CallOptions.DEFAULT);
    await().atMost(Duration.ofSeconds(5)).until(() -> clock.pendingTasks() == 1);
    clock.forward(Duration.ofMillis(79));
    assertThat(f).isNotDone();
    assertThat(hits.get("b").get()).isZero();
    clock.forward(Duration.ofMillis(42)); // 100 ms +- 20 % jitter
    assertThat(f.get(5, TimeUnit.SECONDS)).isEqualTo("b");
  }

  @Test
  void otherErrorsSurfaceUnchangedAfterOneAttempt() {
    startMemberQuietly("a", Mode.INVALID);
    startMemberQuietly("b", Mode.OK);
    sticky = builder().build();
    assertThatThrownBy(() -> call(CallOptions.DEFAULT).get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("INVALID_ARGUMENT: bad");
    assertThat(hits.get("b").get()).isZero();
    assertThat(registry.get("lifeline.sticky.calls").tag("outcome", "failure").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void callWithoutDeadlineGivesUpAfterThreeDelayedRetries() throws Exception {
    startMember("a", Mode.NOT_ACTIVE_NO_HINT);
    startMember("b", Mode.NOT_ACTIVE_NO_HINT);
    sticky = builder().build();
    ListenableFuture<String> f = call(CallOptions.DEFAULT);
    await().atMost(Duration.ofSeconds(5)).until(() -> clock.pendingTasks() == 1);
    // Direct executors: each retry runs inside forward() and schedules the next one.
    clock.forward(Duration.ofSeconds(10));
    assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
        .cause()
        .satisfies(t -> assertThat(NotActive.isNotActive(t)).isTrue());
    assertThat(hits.get("a").get() + hits.get("b").get()).isEqualTo(4);
  }

  @Test
  void builderRejectsBadOptionsNamingFieldAndRange() {
    assertThatThrownBy(() -> StickyGroupChannel.builder("g").maxRetries(-1))
        .hasMessage("maxRetries: -1 (expected: >= 0 and <= 100)");
    assertThatThrownBy(() -> StickyGroupChannel.builder("g").multiplier(0.5))
        .hasMessage("multiplier: 0.5 (expected: >= 1.0 and <= 10.0)");
    assertThatThrownBy(() -> StickyGroupChannel.builder("g").jitter(1.5))
        .hasMessage("jitter: 1.5 (expected: >= 0.0 and <= 1.0)");
    assertThatThrownBy(() -> StickyGroupChannel.builder("g").initialBackoff(Duration.ZERO))
        .hasMessage("initialBackoff: PT0S (expected: >= PT0.001S and <= PT10S)");
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

  private void startMemberQuietly(String name, Mode mode) {
    try {
      startMember(name, mode);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
