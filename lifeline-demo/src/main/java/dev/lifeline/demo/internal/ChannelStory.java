package dev.lifeline.demo.internal;

import dev.lifeline.examples.item.proto.ItemServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The channel story of issue 3: per-request repositories that open a channel each (the kugelpos
 * anti-pattern) against repositories that share one channel, then a server restart. Stateless.
 */
final class ChannelStory {

  private static final int REQUESTS = 200;

  private ChannelStory() {}

  static void run(PrintStream out) throws Exception {
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
      long c1 = Channels.CREATED.get();
      ManagedChannel shared = Channels.plain(backend.target());
      try {
        long t1 = System.nanoTime();
        for (int i = 0; i < REQUESTS; i++) {
          ItemServiceGrpc.newBlockingStub(shared)
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .getItemDetail(GrpcScenarios.REQ);
        }
        double sharedMs = (System.nanoTime() - t1) / 1e6;
        out.printf(
            Locale.ROOT,
            "  one shared channel      : %4d channels, %7.1f ms total, %.2f ms/request (plain grpc; lifeline pool not in this build)%n",
            Channels.CREATED.get() - c1,
            sharedMs,
            sharedMs / REQUESTS);
      } finally {
        Channels.close(shared);
      }
    }
  }
}
