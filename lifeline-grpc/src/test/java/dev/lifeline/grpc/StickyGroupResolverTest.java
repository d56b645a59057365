package dev.lifeline.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import dev.lifeline.core.Backoff;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.core.CircuitBreakers;
import dev.lifeline.testing.FakeClock;
import dev.lifeline.testing.Utf8Marshaller;
import io.grpc.CallOptions;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
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
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link StickyGroupChannel.Builder#target}: members from a name resolver. The resolver is a fake
 * registered in a private registry, fed address lists and errors by the test; the members are real
 * in-process servers, reached through a channel factory that maps {@code host:port} to a server.
 */
class StickyGroupResolverTest {

  private static final MethodDescriptor<String, String> METHOD =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("t.R/Do")
          .setIdempotent(true)
          .setRequestMarshaller(Utf8Marshaller.INSTANCE)
          .setResponseMarshaller(Utf8Marshaller.INSTANCE)
          .build();

  private static final String TARGET = "fake:///orders";

  /** How a fake member answers; the value is a hint address for NOT_ACTIVE, or null. */
  private final Map<String, String> answers = new ConcurrentHashMap<>();

  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final Map<String, StreamObserver<String>> held = new ConcurrentHashMap<>();
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> others = new CopyOnWriteArrayList<>();
  private final List<String> factoryCalls = new CopyOnWriteArrayList<>();
  private final RecordingFactory factory = RecordingFactory.of(this::builderFor);
  private final ChannelPool pool = ChannelPool.builder().builderFactory(factory).build();
  private final ChannelPool plaintext =
      ChannelPool.builder().builderFactory(ChannelBuilderFactory.plaintext()).build();
  private final List<ManagedChannel> created = factory.built;
  private final FakeClock clock = new FakeClock();
  private final FakeResolverProvider provider = new FakeResolverProvider();
  private final NameResolverRegistry registry = new NameResolverRegistry();
  private StickyGroupChannel sticky;

  StickyGroupResolverTest() {
    registry.register(provider);
  }

  @AfterEach
  void tearDown() {
    if (sticky != null) {
      sticky.close();
    }
    pool.close();
    plaintext.close();
    others.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Server::shutdownNow);
  }

  /** Starts an in-process member reachable as {@code name:1}. */
  private void startMember(String name, String answer) throws IOException {
    answers.put(name, answer);
    hits.put(name, new AtomicInteger());
    ServerServiceDefinition def =
        ServerServiceDefinition.builder("t.R")
            .addMethod(
                METHOD,
                ServerCalls.asyncUnaryCall(
                    (req, obs) -> {
                      hits.get(name).incrementAndGet();
                      String a = answers.get(name);
                      switch (a) {
                        case "OK" -> {
                          obs.onNext(name);
                          obs.onCompleted();
                        }
                        case "HOLD" -> held.put(name, obs);
                        case "NOT_ACTIVE" ->
                            obs.onError(NotActive.exception(name, "orders", null, null));
                        default -> obs.onError(NotActive.exception(name, "orders", a, a));
                      }
                    }))
            .build();
    servers.add(
        InProcessServerBuilder.forName("resolver-" + name)
            .directExecutor()
            .addService(def)
            .build()
            .start());
  }

  /** Members named {@code host:1} are reached in process, as {@code resolver-host}. */
  private io.grpc.ManagedChannelBuilder<?> builderFor(String hostPort) {
    factoryCalls.add(hostPort);
    String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
    return InProcessChannelBuilder.forName("resolver-" + host).directExecutor();
  }

  private StickyGroupChannel.Builder builder() {
    return StickyGroupChannel.builder("orders")
        .target(TARGET)
        .nameResolverRegistry(registry)
        .channelPool(pool)
        // A removed member's channel closes as soon as it drains.
        .channelOptions(ChannelOptions.builder().linger(Duration.ZERO).build())
        .scheduler(clock.scheduler())
        .callPolicy(
            CallPolicy.builder()
                .service("orders")
                .retryPolicy(StickyGroupChannel.defaultRetryPolicy())
                .circuitBreakers(CircuitBreakers.disabled())
                .ticker(clock)
                .random(() -> 0.5)
                .build());
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

  /**
   * Moves fake time on in small steps until {@code done}: the closes of attempts that fail locally
   * arrive on another thread, so each retry is scheduled only after the previous step.
   */
  private void awaitAdvancing(java.util.concurrent.Callable<Boolean> done) {
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(1))
        .until(
            () -> {
              clock.forward(Duration.ofMillis(50));
              return done.call();
            });
  }

  /** Runs what is due until exactly {@code n} tasks (backoffs) wait on the fake scheduler. */
  private void awaitWaiting(int n) {
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(1))
        .until(
            () -> {
              clock.runDueTasks();
              // The resolver's periodic refresh (30 s away) is not a backoff.
              return clock.pendingTasksDueWithin(Duration.ofSeconds(10)) == n;
            });
  }

  private static InetSocketAddress at(String host) {
    return InetSocketAddress.createUnresolved(host, 1);
  }

  private ListenableFuture<String> call(CallOptions options) {
    return ClientCalls.futureUnaryCall(sticky.newCall(METHOD, options), "req");
  }

  private static CallOptions withDeadline() {
    return CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.MINUTES);
  }

  @Test
  void resolvedAddressesBecomeMembersNamedHostPortAndHintsBetweenThemAreFollowed()
      throws Exception {
    startMember("a", "b:1");
    startMember("b", "OK");
    sticky = builder().build();
    provider.resolver().push(at("a"), at("b"));
    assertThat(sticky.members()).containsExactly("a:1", "b:1");
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("b");
    assertThat(sticky.preferredMember()).contains("b:1");
    assertThat(factoryCalls).containsExactly("a:1", "b:1");
  }

  @Test
  void ipv6LiteralsAreKeyedInBracketsAsLeaderHintsCarryThem() throws Exception {
    startMember("a", "OK");
    sticky = builder().build();
    provider.resolver().push(at("a"), InetSocketAddress.createUnresolved("::1", 50051));
    assertThat(sticky.members()).containsExactly("a:1", "[::1]:50051");
  }

  @Test
  void aHintSpellingAnIpv6LiteralDifferentlyStillNamesTheResolvedMember() throws Exception {
    startMember("a", "[::1]:50051");
    startMember("[0:0:0:0:0:0:0:1]", "OK");
    sticky = builder().build();
    FakeResolver r = provider.resolver();
    // As the dns resolver reports it: the full form of the literal.
    r.push(at("a"), new InetSocketAddress(InetAddress.getByName("::1"), 50051));
    assertThat(sticky.members()).containsExactly("a:1", "[0:0:0:0:0:0:0:1]:50051");
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("[0:0:0:0:0:0:0:1]");
    assertThat(r.refreshes.get()).as("the hint named a member: no refresh").isZero();
  }

  @Test
  void membershipFollowsEveryResolutionAndRemovedMembersChannelsAreShutDown() throws Exception {
    startMember("a", "OK");
    startMember("b", "OK");
    startMember("c", "OK");
    sticky = builder().build();
    FakeResolver r = provider.resolver();
    r.push(at("a"), at("b"));
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("a");
    ManagedChannel channelOfA = created.get(0);

    r.push(at("b"), at("c"));
    assertThat(sticky.members()).containsExactly("b:1", "c:1");
    assertThat(channelOfA.isShutdown()).isTrue();
    assertThat(sticky.preferredMember()).as("a is gone: first member").contains("b:1");
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("b");
    assertThat(factoryCalls).as("b kept its channel").containsExactly("a:1", "b:1");
  }

  @Test
  void aCallInFlightToARemovedMemberFinishes() throws Exception {
    startMember("a", "HOLD");
    startMember("b", "OK");
    sticky = builder().build();
    FakeResolver r = provider.resolver();
    r.push(at("a"), at("b"));
    ListenableFuture<String> f = call(CallOptions.DEFAULT);
    await().atMost(Duration.ofSeconds(5)).until(() -> held.containsKey("a"));
    r.push(at("b"));
    assertThat(f).isNotDone();
    held.get("a").onNext("a");
    held.get("a").onCompleted();
    assertThat(get(f)).isEqualTo("a");
    assertThat(sticky.preferredMember())
        .as("a removed member never becomes preferred")
        .contains("b:1");
  }

  @Test
  void aDelayedRetryPicksItsMemberWhenItFiresNotWhenScheduled() throws Exception {
    startMember("a", "NOT_ACTIVE");
    startMember("b", "NOT_ACTIVE");
    startMember("c", "OK");
    startMember("d", "OK");
    sticky = builder().build();
    FakeResolver r = provider.resolver();
    r.push(at("a"), at("b"), at("c"), at("d"));
    ListenableFuture<String> f = call(withDeadline()); // a, then at once b, then a backoff
    awaitWaiting(1);
    r.push(at("a"), at("b"), at("d")); // c, next in rotation, goes away during the backoff
    clock.forward(Duration.ofMillis(130));
    assertThat(get(f)).isEqualTo("d");
    assertThat(hits.get("c").get()).isZero();
  }

  @Test
  void aCallWithADeadlineWaitsForTheFirstMembers() throws Exception {
    startMember("a", "OK");
    sticky = builder().build();
    ListenableFuture<String> f = call(withDeadline());
    assertThat(f).isNotDone();
    assertThat(sticky.preferredMember()).isEmpty();
    awaitWaiting(1); // the first attempt failed locally: nothing sent, a backoff follows
    provider.resolver().push(at("a"));
    assertThat(get(f)).as("woken by the members, without waiting out the backoff").isEqualTo("a");
    assertThat(clock.pendingTasksDueWithin(Duration.ofSeconds(10)))
        .as("its backoff was cancelled")
        .isZero();
  }

  @Test
  void aCallWaitingForMembersFailsAtItsDeadline() throws Exception {
    sticky = builder().build();
    ListenableFuture<String> f = call(CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    awaitWaiting(1);
    clock.forward(Duration.ofSeconds(31));
    assertThatThrownBy(() -> get(f))
        .cause()
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageStartingWith(
            "UNAVAILABLE: no members resolved for target fake:///orders [orders t.R/Do failed"
                + " after");
  }

  @Test
  void aCallWithoutADeadlineFailsAfterItsAttemptsWhileNoMemberIsKnownNamingTheResolutionError() {
    sticky = builder().build();
    provider.resolver().fail(Status.UNAVAILABLE.withDescription("dns down"));
    ListenableFuture<String> f = call(CallOptions.DEFAULT);
    awaitAdvancing(f::isDone);
    assertThatThrownBy(() -> get(f))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .hasMessageStartingWith(
            "UNAVAILABLE: no members resolved for target fake:///orders (last resolution error:"
                + " UNAVAILABLE dns down) [orders t.R/Do failed after 4 attempts");
  }

  @Test
  void aServerStreamWhileNoMemberIsKnownFailsWithUnavailableAfterItsAttempts() {
    sticky = builder().build();
    MethodDescriptor<String, String> stream =
        METHOD.toBuilder().setType(MethodDescriptor.MethodType.SERVER_STREAMING).build();
    java.util.concurrent.CompletableFuture<Throwable> failed =
        new java.util.concurrent.CompletableFuture<>();
    ClientCalls.asyncServerStreamingCall(
        sticky.newCall(stream, CallOptions.DEFAULT),
        "req",
        new StreamObserver<String>() {
          @Override
          public void onNext(String value) {}

          @Override
          public void onError(Throwable t) {
            failed.complete(t);
          }

          @Override
          public void onCompleted() {
            failed.complete(null);
          }
        });
    awaitAdvancing(failed::isDone);
    assertThat(failed.join())
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessageStartingWith("UNAVAILABLE: no members resolved for target fake:///orders [");
  }

  @Test
  void aBidiCallWhileNoMemberIsKnownFailsWithUnavailable() {
    sticky = builder().build();
    MethodDescriptor<String, String> bidi =
        METHOD.toBuilder().setType(MethodDescriptor.MethodType.BIDI_STREAMING).build();
    java.util.concurrent.CompletableFuture<Throwable> failed =
        new java.util.concurrent.CompletableFuture<>();
    ClientCalls.asyncBidiStreamingCall(
        sticky.newCall(bidi, CallOptions.DEFAULT),
        new StreamObserver<String>() {
          @Override
          public void onNext(String value) {}

          @Override
          public void onError(Throwable t) {
            failed.complete(t);
          }

          @Override
          public void onCompleted() {
            failed.complete(null);
          }
        });
    await().atMost(Duration.ofSeconds(5)).until(failed::isDone);
    assertThat(failed.join())
        .isInstanceOf(StatusRuntimeException.class)
        .hasMessage("UNAVAILABLE: no members resolved for target fake:///orders");
  }

  @Test
  void aResolutionErrorOrAnEmptyAnswerKeepsTheCurrentMembers() throws Exception {
    startMember("a", "OK");
    sticky = builder().build();
    FakeResolver r = provider.resolver();
    r.push(at("a"));
    r.fail(Status.UNAVAILABLE.withDescription("dns down"));
    r.push();
    assertThat(sticky.members()).containsExactly("a:1");
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("a");
    assertThat(created.get(0).isShutdown()).isFalse();
  }

  @Test
  void aHintNamingAnUnknownAddressRefreshesTheResolver() throws Exception {
    startMember("a", "d:1");
    startMember("d", "OK");
    sticky = builder().build();
    FakeResolver r = provider.resolver();
    // The new active d is not in DNS yet; the refresh finds it.
    r.onRefresh = () -> r.push(at("a"), at("d"));
    r.push(at("a"));
    ListenableFuture<String> f = call(withDeadline());
    assertThat(r.refreshes.get()).isEqualTo(1);
    assertThat(sticky.members()).containsExactly("a:1", "d:1");
    clock.forward(Duration.ofMillis(130));
    assertThat(get(f)).isEqualTo("d");
  }

  @Test
  void closeShutsDownTheResolverAndEveryMemberChannel() throws Exception {
    startMember("a", "OK");
    startMember("b", "OK");
    sticky = builder().build();
    FakeResolver r = provider.resolver();
    r.push(at("a"), at("b"));
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("a");
    r.push(at("b")); // a's channel retired
    assertThat(get(call(CallOptions.DEFAULT))).isEqualTo("b");
    sticky.close();
    assertThat(r.shutdown).isTrue();
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(created)
                    .hasSize(2)
                    .allSatisfy(c -> assertThat(c.isTerminated()).isTrue()));
  }

  @Test
  void builderRejectsMembersAndTargetTogetherAndUnknownSchemes() {
    ManagedChannel c = InProcessChannelBuilder.forName("unused").build();
    others.add(c);
    assertThatThrownBy(() -> builder().member("a:1", c).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "target: fake:///orders and members: [a:1] (expected: either member(...) or"
                + " target(...), not both, group orders)");
    assertThatThrownBy(() -> builder().target("nope://x/y").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "target: nope://x/y (expected: a scheme with a registered name resolver; unknown"
                + " scheme 'nope')");
    assertThatThrownBy(() -> StickyGroupChannel.builder("orders").target(" "))
        .hasMessage("target: ' ' (expected: scheme:///name or host:port)");
    assertThatThrownBy(
            () ->
                StickyGroupChannel.builder("orders")
                    .target("fake://orders")
                    .nameResolverRegistry(registry)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("target: fake://orders (rejected by the 'fake' resolver)");
  }

  @Test
  void overNettyACrashedActiveIsSkippedAndTheNewActiveIsFoundThroughResolvedAddresses()
      throws Exception {
    // Real sockets and the default channel factory: members are 127.0.0.1:port, as hints name them.
    List<Server> netty = new ArrayList<>();
    String[] activeAddress = new String[1];
    for (String name : List.of("a", "b", "c")) {
      hits.put(name, new AtomicInteger());
      ServerServiceDefinition def =
          ServerServiceDefinition.builder("t.R")
              .addMethod(
                  METHOD,
                  ServerCalls.asyncUnaryCall(
                      (req, obs) -> {
                        hits.get(name).incrementAndGet();
                        if (name.equals("c")) {
                          obs.onNext(name);
                          obs.onCompleted();
                        } else {
                          obs.onError(NotActive.exception(name, "orders", "c", activeAddress[0]));
                        }
                      }))
              .build();
      Server srv =
          NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
              .addService(def)
              .build()
              .start();
      netty.add(srv);
      servers.add(srv);
    }
    InetSocketAddress[] addresses =
        netty.stream()
            .map(srv -> (InetSocketAddress) srv.getListenSockets().get(0))
            .toArray(InetSocketAddress[]::new);
    activeAddress[0] = "127.0.0.1:" + addresses[2].getPort();
    sticky =
        StickyGroupChannel.builder("orders")
            .target(TARGET)
            .nameResolverRegistry(registry)
            .channelPool(plaintext)
            .callPolicy(
                CallPolicy.builder()
                    .service("orders")
                    .retryPolicy(
                        StickyGroupChannel.defaultRetryPolicy().toBuilder()
                            .backoff(
                                Backoff.exponential(Duration.ofMillis(20), Duration.ofMillis(50)))
                            .build())
                    .build())
            .build();
    provider.resolver().push(addresses);
    assertThat(sticky.members())
        .containsExactly(
            "127.0.0.1:" + addresses[0].getPort(),
            "127.0.0.1:" + addresses[1].getPort(),
            activeAddress[0]);
    // a is preferred first and crashes; b points at c.
    netty.get(0).shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    for (int i = 0; i < 5; i++) {
      assertThat(
              call(CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS))
                  .get(10, TimeUnit.SECONDS))
          .isEqualTo("c");
    }
    assertThat(sticky.preferredMember()).contains(activeAddress[0]);
    assertThat(hits.get("c").get()).isEqualTo(5);
    assertThat(hits.get("b").get()).as("only the first call needed b's hint").isEqualTo(1);
  }

  @Test
  void theDefaultRegistryResolvesDnsTargets() {
    sticky =
        StickyGroupChannel.builder("orders")
            .target("dns:///localhost:50051")
            .scheduler(clock.scheduler())
            .build();
    assertThat(sticky.authority()).isEqualTo("localhost:50051");
  }

  /** A name resolver the test feeds by hand. Thread-safe: it hands everything to grpc's context. */
  static final class FakeResolver extends NameResolver {
    private final NameResolver.Args args;
    private volatile Listener2 listener;
    final AtomicInteger refreshes = new AtomicInteger();
    volatile Runnable onRefresh = () -> {};
    volatile boolean shutdown;

    FakeResolver(NameResolver.Args args) {
      this.args = args;
    }

    @Override
    public String getServiceAuthority() {
      return "orders";
    }

    @Override
    public void start(Listener2 l) {
      this.listener = l;
    }

    void push(InetSocketAddress... addresses) {
      List<EquivalentAddressGroup> groups =
          Arrays.stream(addresses).map(EquivalentAddressGroup::new).toList();
      args.getSynchronizationContext()
          .execute(
              () ->
                  listener.onResult2(
                      NameResolver.ResolutionResult.newBuilder()
                          .setAddressesOrError(io.grpc.StatusOr.fromValue(groups))
                          .build()));
    }

    void fail(Status error) {
      args.getSynchronizationContext().execute(() -> listener.onError(error));
    }

    @Override
    public void refresh() {
      refreshes.incrementAndGet();
      onRefresh.run();
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }
  }

  /** Serves scheme {@code fake}; a target needs a path, as {@code fake:///name}. */
  static final class FakeResolverProvider extends NameResolverProvider {
    private final List<FakeResolver> made = new CopyOnWriteArrayList<>();

    FakeResolver resolver() {
      await().atMost(Duration.ofSeconds(5)).until(() -> !made.isEmpty());
      FakeResolver r = made.get(made.size() - 1);
      await().atMost(Duration.ofSeconds(5)).until(() -> r.listener != null);
      return r;
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
      if (!"fake".equals(targetUri.getScheme())) {
        return null;
      }
      String path = targetUri.getPath();
      if (path == null || path.length() <= 1) {
        return null;
      }
      FakeResolver r = new FakeResolver(args);
      made.add(r);
      return r;
    }

    @Override
    public String getDefaultScheme() {
      return "fake";
    }

    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 5;
    }
  }
}
