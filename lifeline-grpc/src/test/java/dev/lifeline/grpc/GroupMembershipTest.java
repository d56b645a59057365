package dev.lifeline.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.testing.StringEchoService;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A group's membership follows its name resolver, and recovers when the resolver does. */
class GroupMembershipTest {

  private final List<Server> servers = new ArrayList<>();
  private final PullResolverProvider provider = new PullResolverProvider();
  private final NameResolverRegistry registry = new NameResolverRegistry();
  private StickyGroupChannel group;
  private final ChannelPool pool =
      ChannelPool.builder().builderFactory(ChannelBuilderFactory.plaintext()).build();

  GroupMembershipTest() {
    registry.register(provider);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (group != null) {
      group.close();
    }
    pool.close();
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private Server echo() throws IOException {
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(new StringEchoService().definition())
            .build()
            .start();
    servers.add(s);
    return s;
  }

  private StickyGroupChannel.Builder builder() {
    return StickyGroupChannel.builder("orders")
        .target("pull:///orders")
        .nameResolverRegistry(registry)
        .channelPool(pool)
        .callPolicy(
            StickyGroupChannel.defaultPolicy("orders")
                .retryPolicy(
                    StickyGroupChannel.defaultRetryPolicy().toBuilder().idempotent(true).build())
                .build());
  }

  // Review finding 5: a failed first resolution left the group empty for ever; nothing asked the
  // resolver again.
  @Test
  void aGroupWhoseFirstResolutionFailsServesOnceTheResolverAnswers() throws Exception {
    Server a = echo();
    provider.answers.add(StatusOr.fromStatus(Status.UNAVAILABLE.withDescription("dns down")));
    provider.answers.add(StatusOr.fromValue(List.of(local(a))));
    group = builder().build();
    assertThat(StringEchoService.say(group, "x", Duration.ofSeconds(10))).isEqualTo("echo:x");
  }

  // Review finding 5: in a rolling replacement with new IPs, once every old member was dead no
  // refresh ever happened.
  @Test
  void aGroupWhoseMembersAllMoveToNewAddressesIsServedByTheNewMembersWithinSeconds()
      throws Exception {
    Server a = echo();
    Server b = echo();
    provider.answers.add(StatusOr.fromValue(List.of(local(a))));
    provider.answers.add(StatusOr.fromValue(List.of(local(b))));
    group = builder().build();
    assertThat(StringEchoService.say(group, "x", Duration.ofSeconds(10))).isEqualTo("echo:x");
    a.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    assertThat(StringEchoService.say(group, "y", Duration.ofSeconds(10))).isEqualTo("echo:y");
    assertThat(group.members()).containsExactly("localhost:" + b.getPort());
  }

  private static InetSocketAddress local(Server s) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getPort());
  }

  /**
   * A resolver that answers only when asked (as DNS does): on start and on each refresh it hands
   * out the next scripted answer, repeating the last one once the script is spent.
   */
  static final class PullResolverProvider extends NameResolverProvider {
    final List<StatusOr<List<InetSocketAddress>>> answers = new CopyOnWriteArrayList<>();
    private int next;

    synchronized StatusOr<List<InetSocketAddress>> nextAnswer() {
      StatusOr<List<InetSocketAddress>> a = answers.get(Math.min(next, answers.size() - 1));
      next++;
      return a;
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
      if (!"pull".equals(targetUri.getScheme())) {
        return null;
      }
      return new NameResolver() {
        private Listener2 listener;

        @Override
        public String getServiceAuthority() {
          return "orders";
        }

        @Override
        public void start(Listener2 l) {
          listener = l;
          answer();
        }

        @Override
        public void refresh() {
          answer();
        }

        private void answer() {
          StatusOr<List<InetSocketAddress>> a = nextAnswer();
          StatusOr<List<EquivalentAddressGroup>> groups =
              a.hasValue()
                  ? StatusOr.fromValue(
                      a.getValue().stream()
                          .map(x -> new EquivalentAddressGroup((SocketAddress) x))
                          .toList())
                  : StatusOr.fromStatus(a.getStatus());
          args.getSynchronizationContext()
              .execute(
                  () ->
                      listener.onResult2(
                          NameResolver.ResolutionResult.newBuilder()
                              .setAddressesOrError(groups)
                              .build()));
        }

        @Override
        public void shutdown() {}
      };
    }

    @Override
    public String getDefaultScheme() {
      return "pull";
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
