package dev.lifeline.chaos;

import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.ActiveOptions;
import dev.lifeline.active.ExclusiveInterceptor;
import dev.lifeline.active.FencingToken;
import dev.lifeline.active.GroupId;
import dev.lifeline.active.nats.NatsLeaseStore;
import dev.lifeline.chaos.internal.Args;
import dev.lifeline.chaos.proto.ChaosMemberGrpc;
import dev.lifeline.chaos.proto.FencedRegisterGrpc;
import dev.lifeline.chaos.proto.RegisterReply;
import dev.lifeline.chaos.proto.RegisterWrite;
import dev.lifeline.chaos.proto.WriteReply;
import dev.lifeline.chaos.proto.WriteRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of the chaos run's group, in its own JVM so that a crash is SIGKILL and a pause is
 * SIGSTOP: an {@link ActiveMember} on a {@link NatsLeaseStore} over every node of the cluster,
 * serving the exclusive {@code ChaosMember/Write}. Each exclusive call writes its request id to the
 * fenced register with the tenure's fencing token, and the handler's start time, so the register
 * can log the call's interval. SIGTERM is a graceful stop: the member hands over, then exits.
 *
 * <p>Arguments: {@code --id ID --port PORT --nats URL[,URL...] --register HOST:PORT --ttl-ms N
 * --heartbeat-ms N --safety-ms N --max-store-backoff-ms N --bucket NAME --replicas N}. Prints
 * {@code READY} once it serves.
 */
public final class ChaosMember {

  /** The group every member joins. */
  public static final GroupId GROUP = GroupId.of("chaos", "register");

  private static final Logger log = LoggerFactory.getLogger(ChaosMember.class);

  private ChaosMember() {}

  /**
   * Runs a member until SIGTERM.
   *
   * @throws IOException if the port cannot be bound
   */
  public static void main(String[] argv) throws IOException, InterruptedException {
    Args args = Args.parse(argv);
    String id = args.required("id");
    int port = args.intValue("port", 0);
    ActiveOptions options =
        ActiveOptions.builder()
            .ttl(Duration.ofMillis(args.intValue("ttl-ms", 2000)))
            .heartbeat(Duration.ofMillis(args.intValue("heartbeat-ms", 500)))
            .safetyMargin(Duration.ofMillis(args.intValue("safety-ms", 300)))
            // A standby retries a failing store at most every TTL/2 (not 5 s), so that it takes
            // over soon after NATS has elected a new stream leader.
            .maxStoreBackoff(Duration.ofMillis(args.intValue("max-store-backoff-ms", 1000)))
            .build();
    NatsLeaseStore store =
        NatsLeaseStore.builder(args.required("nats").split(","))
            .bucket(args.value("bucket", "chaos"))
            .replicas(args.intValue("replicas", 3))
            .requestTimeout(Duration.ofMillis(args.intValue("request-timeout-ms", 500)))
            .build();
    ManagedChannel register =
        NettyChannelBuilder.forTarget(args.required("register")).usePlaintext().build();
    String address = "127.0.0.1:" + port;
    ActiveMember member =
        ActiveMember.builder(GROUP, id, store).address(address).options(options).build();
    member.addListener(
        (role, token) ->
            log.atInfo()
                .addKeyValue("member", id)
                .addKeyValue("role", role)
                .addKeyValue("token", token)
                .log("role changed"));
    ExclusiveInterceptor exclusive =
        ExclusiveInterceptor.builder(member).exclusive(ChaosMemberGrpc.getWriteMethod()).build();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .addService(
                ServerInterceptors.intercept(
                    new Handler(id, member, FencedRegisterGrpc.newBlockingStub(register)),
                    exclusive))
            .build()
            .start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // Graceful: stop admitting, drain under the lease, release; then stop serving.
                  member.close();
                  server.shutdown();
                  try {
                    server.awaitTermination(5, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  server.shutdownNow();
                  register.shutdownNow();
                  store.close();
                  System.out.println("STOPPED " + id);
                },
                "chaos-member-stop"));
    member.start();
    System.out.println("READY " + id + " " + member.incarnation() + " " + address);
    System.out.flush();
    server.awaitTermination();
  }

  /**
   * The exclusive handler: one fenced write per call. Every failure is answered UNAVAILABLE, which
   * the client moves to the next member because the method is idempotent on its request id.
   */
  private static final class Handler extends ChaosMemberGrpc.ChaosMemberImplBase {
    private final String id;
    private final ActiveMember member;
    private final FencedRegisterGrpc.FencedRegisterBlockingStub register;

    Handler(
        String id, ActiveMember member, FencedRegisterGrpc.FencedRegisterBlockingStub register) {
      this.id = id;
      this.member = member;
      this.register = register;
    }

    @Override
    public void write(WriteRequest request, StreamObserver<WriteReply> observer) {
      long start = System.nanoTime();
      long token = FencingToken.current().orElseThrow();
      // The tenure ends with this context; the register call below inherits its deadline, which
      // the register enforces on its own clock.
      if (Context.current().isCancelled()) {
        observer.onError(unavailable("tenure ended before the write"));
        return;
      }
      RegisterReply reply;
      try {
        reply =
            register.write(
                RegisterWrite.newBuilder()
                    .setMember(id)
                    .setFencingToken(token)
                    .setRequestId(request.getRequestId())
                    .setStartNanos(start)
                    .build());
      } catch (StatusRuntimeException e) {
        observer.onError(unavailable("register write failed: " + e.getStatus()));
        return;
      }
      if (!reply.getAccepted()) {
        // The store handed out a token the register already saw (it lost acknowledged writes):
        // without this report the member would stay fenced off for its whole tenure.
        member.fencedOut(reply.getHighestToken());
        observer.onError(
            unavailable(
                "fenced off: token " + token + " below the register's " + reply.getHighestToken()));
        return;
      }
      observer.onNext(WriteReply.newBuilder().setMember(id).setFencingToken(token).build());
      observer.onCompleted();
    }

    private static StatusRuntimeException unavailable(String why) {
      return Status.UNAVAILABLE.withDescription(why).asRuntimeException();
    }
  }
}
