package dev.lifeline.chaos.internal;

import dev.lifeline.chaos.proto.ChaosMemberGrpc;
import dev.lifeline.chaos.proto.WriteReply;
import dev.lifeline.chaos.proto.WriteRequest;
import dev.lifeline.testing.HistoryChecker;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The run's clients: threads that each make one write at a time through the group's channel, about
 * 100 a second, recording every acknowledgement in the history and every failure as a {@link
 * FailedCall}. Thread-safe: the clients record concurrently while the run reads.
 */
final class ClientLoad {

  private final HistoryChecker history;
  private final Channel channel;
  private final int clients;
  private final Duration callDeadline;
  private final List<FailedCall> failures = new CopyOnWriteArrayList<>();
  private final AtomicReference<HistoryChecker.Ack> highest = new AtomicReference<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  ClientLoad(HistoryChecker history, Channel channel, int clients, Duration callDeadline) {
    this.history = history;
    this.channel = channel;
    this.clients = clients;
    this.callDeadline = callDeadline;
  }

  /** Starts the clients; called once, by the run's thread. */
  void start() {
    running = true;
    for (int c = 0; c < clients; c++) {
      String client = "c" + c;
      Thread t = new Thread(() -> clientLoop(client), "chaos-client-" + c);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
  }

  /** Stops the clients and waits for each to finish its call; called by the run's thread. */
  void stop() {
    running = false;
    for (Thread t : threads) {
      try {
        t.join(callDeadline.toMillis() + 5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Tells the clients to stop after their current call, without waiting for them. */
  void halt() {
    running = false;
  }

  /** The acknowledgement with the highest token so far, if any. */
  Optional<HistoryChecker.Ack> top() {
    return Optional.ofNullable(highest.get());
  }

  /**
   * The acknowledgement with the highest token so far.
   *
   * @throws IllegalStateException if no call was acknowledged yet; after a steady state one was
   */
  HistoryChecker.Ack requireTop() {
    return top().orElseThrow(() -> new IllegalStateException("no call acknowledged yet"));
  }

  /** The calls that failed while the load ran. */
  List<FailedCall> failures() {
    return failures;
  }

  private void clientLoop(String client) {
    ChaosMemberGrpc.ChaosMemberBlockingStub stub = ChaosMemberGrpc.newBlockingStub(channel);
    long n = 0;
    while (running) {
      String id = client + "-" + n++;
      long sent = System.nanoTime();
      try {
        WriteReply reply =
            stub.withDeadlineAfter(callDeadline.toMillis(), TimeUnit.MILLISECONDS)
                .write(WriteRequest.newBuilder().setRequestId(id).build());
        HistoryChecker.Ack ack =
            new HistoryChecker.Ack(
                client, id, reply.getMember(), reply.getFencingToken(), sent, System.nanoTime());
        history.ack(ack);
        highest.accumulateAndGet(ack, (a, b) -> a == null || b.token() > a.token() ? b : a);
      } catch (StatusRuntimeException e) {
        if (running) {
          failures.add(
              new FailedCall(client, id, sent, System.nanoTime(), String.valueOf(e.getStatus())));
        }
      }
      // Pacing, not waiting for a condition: about 100 calls per second per client.
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
