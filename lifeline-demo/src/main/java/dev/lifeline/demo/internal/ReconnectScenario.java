package dev.lifeline.demo.internal;

import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.grpc.LifelineChannel;
import dev.lifeline.testing.TcpProxy;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The {@code reconnect} bench: how long after a server comes back the first call succeeds, with
 * Lifeline's demand-driven reconnect and with grpc's own backoff. Stateless; owns and closes its
 * servers and channels.
 */
final class ReconnectScenario {

  private ReconnectScenario() {}

  static BenchReport run(Bench.Timing t) throws Exception {
    BenchReport report = new BenchReport("reconnect");
    Duration down = t.quick() ? Duration.ofSeconds(2) : Duration.ofSeconds(60);
    try (ItemBackend backend = new ItemBackend(0).start();
        // Each client reaches the server through its own proxy, which counts its connection
        // attempts: while the server is down the proxy accepts and closes at once.
        TcpProxy plainProxy = TcpProxy.start(backend.port());
        TcpProxy lifelineProxy = TcpProxy.start(backend.port())) {
      ManagedChannel plain = Channels.plain(plainProxy.target());
      try (ChannelPool pool = Channels.plaintextPool();
          LifelineChannel lease = pool.lease(lifelineProxy.target())) {
        ItemServiceGrpc.ItemServiceBlockingStub plainStub = ItemServiceGrpc.newBlockingStub(plain);
        ItemServiceGrpc.ItemServiceBlockingStub lifelineStub =
            ItemServiceGrpc.newBlockingStub(lease);
        plainStub.withDeadlineAfter(5, TimeUnit.SECONDS).getItemDetail(GrpcScenarios.REQ);
        lifelineStub.withDeadlineAfter(5, TimeUnit.SECONDS).getItemDetail(GrpcScenarios.REQ);
        backend.stop();
        plainProxy.refuse();
        lifelineProxy.refuse();
        int plainBefore = plainProxy.connectionAttempts();
        int lifelineBefore = lifelineProxy.connectionAttempts();
        // Both clients keep calling during the same outage, ten calls a second each; each failed
        // call is expected.
        long downUntil = System.nanoTime() + down.toNanos();
        while (System.nanoTime() < downUntil) {
          GrpcScenarios.tryCall(plainStub, 100);
          GrpcScenarios.tryCall(lifelineStub, 100);
          Thread.sleep(100);
        }
        double plainRate =
            (plainProxy.connectionAttempts() - plainBefore) / (double) down.toSeconds();
        double lifelineRate =
            (lifelineProxy.connectionAttempts() - lifelineBefore) / (double) down.toSeconds();
        backend.start();
        plainProxy.forward();
        lifelineProxy.forward();
        long restarted = System.nanoTime();
        long bound =
            restarted + (t.quick() ? Duration.ofSeconds(20) : Duration.ofSeconds(150)).toNanos();
        double[] recovered = new double[] {-1, -1};
        Thread lifelineWatcher =
            new Thread(
                () -> recovered[1] = pollUntilUp(lifelineStub, restarted, bound),
                "reconnect-lifeline");
        lifelineWatcher.start();
        recovered[0] = pollUntilUp(plainStub, restarted, bound);
        lifelineWatcher.join(Duration.ofSeconds(160).toMillis());
        Double plainMs = recovered[0] < 0 ? null : recovered[0];
        Double lifelineMs = recovered[1] < 0 ? null : recovered[1];
        report.result(
            "plain grpc channel",
            "down_s",
            (double) down.toSeconds(),
            "attempts_per_s_while_down",
            round2(plainRate),
            "recovery_ms",
            plainMs == null ? "not recovered within bound" : plainMs);
        report.result(
            "lifeline channel",
            "down_s",
            (double) down.toSeconds(),
            "attempts_per_s_while_down",
            round2(lifelineRate),
            "recovery_ms",
            lifelineMs == null ? "not recovered within bound" : lifelineMs);
        report.figure("grpc_default_recovery_ms", plainMs);
        report.figure("lifeline_recovery_ms", lifelineMs);
        report.figure("grpc_default_attempts_per_s", round2(plainRate));
        report.figure("lifeline_attempts_per_s", round2(lifelineRate));
        report.note(
            "recovery: from the server's restart to the first successful call; clients poll every"
                + " 5 ms. attempts: TCP connections each client opened while the server was down,"
                + " calling 10 times a second; Lifeline's cap is one per 50 ms (about 6.7/s at its"
                + " steady 150 ms), and only while calls wait");
      } finally {
        Channels.close(plain);
      }
    }
    return report;
  }

  private static double round2(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /**
   * Calls every 5 ms until one succeeds; returns ms since {@code fromNanos}, or -1 at the bound.
   */
  private static double pollUntilUp(
      ItemServiceGrpc.ItemServiceBlockingStub stub, long fromNanos, long boundNanos) {
    while (System.nanoTime() < boundNanos) {
      if (GrpcScenarios.tryCall(stub, 200)) {
        return (System.nanoTime() - fromNanos) / 1e6;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }
    return -1;
  }
}
