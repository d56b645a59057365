package dev.lifeline.demo.internal;

import dev.lifeline.examples.item.ItemMasterRepositories;
import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import dev.lifeline.grpc.ChannelPool;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The channel story of issue 3: per-request repositories that open a channel each (the kugelpos
 * anti-pattern) against repositories that share one channel, then a server restart. Stateless.
 */
final class ChannelStory {

  private static double created(MeterRegistry registry) {
    return registry.find("lifeline.channel.creations").counters().stream()
        .mapToDouble(c -> c.count())
        .sum();
  }

  private static final int REQUESTS = 200;

  private ChannelStory() {}

  static void run(PrintStream out, ChannelPool pool, MeterRegistry registry) throws Exception {
    out.println(
        "channel story: " + REQUESTS + " requests, each building its own ItemMasterRepository");
    try (ItemBackend backend = new ItemBackend(0).start()) {
      long c0 = Channels.CREATED.get();
      long t0 = System.nanoTime();
      for (int i = 0; i < REQUESTS; i++) {
        ManagedChannel ch = Channels.plain(backend.target());
        try {
          ItemServiceGrpc.newBlockingStub(ch)
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .getItemDetail(GrpcScenarios.REQ);
        } finally {
          Channels.close(ch);
        }
      }
      double perRequestMs = (System.nanoTime() - t0) / 1e6;
      long perRequestChannels = Channels.CREATED.get() - c0;
      out.printf(
          Locale.ROOT,
          "  new channel per request : %4d channels, %7.1f ms total, %.2f ms/request%n",
          perRequestChannels,
          perRequestMs,
          perRequestMs / REQUESTS);
      double before = created(registry);
      try (ItemMasterRepositories repositories =
          new ItemMasterRepositories(pool, backend.target())) {
        long t1 = System.nanoTime();
        for (int i = 0; i < REQUESTS; i++) {
          // Per request, as web frameworks create repositories; the channel underneath is shared.
          repositories.forRequest("t1", "s1").getItemByCode("4901234567890");
        }
        double sharedMs = (System.nanoTime() - t1) / 1e6;
        out.printf(
            Locale.ROOT,
            "  lifeline pool           : %4d channel,  %7.1f ms total, %.2f ms/request%n",
            (long) (created(registry) - before),
            sharedMs,
            sharedMs / REQUESTS);
      }
    }
  }
}
