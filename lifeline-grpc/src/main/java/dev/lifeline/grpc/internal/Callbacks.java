package dev.lifeline.grpc.internal;

import io.grpc.CallOptions;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Where Lifeline delivers the callbacks it makes up itself (a breaker that is open, a closed
 * channel, a cancelled backoff): the call's own executor, as grpc does, so that a blocking stub,
 * which waits on its executor, wakes up. A call without an executor gets a shared pool of daemon
 * threads, as grpc's default channel executor would give it: never the retry scheduler's thread,
 * where a slow listener would stall every retry, and never inline in the caller's {@code start}.
 *
 * <p>Thread-safe.
 */
public final class Callbacks {

  private static final class Shared {
    static final ExecutorService POOL = newPool();

    private static ExecutorService newPool() {
      AtomicInteger n = new AtomicInteger();
      ThreadPoolExecutor pool =
          new ThreadPoolExecutor(
              4,
              4,
              30,
              TimeUnit.SECONDS,
              new LinkedBlockingQueue<>(),
              r -> {
                Thread t = new Thread(r, "lifeline-callback-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      pool.allowCoreThreadTimeOut(true);
      return pool;
    }
  }

  private Callbacks() {}

  /** The executor for callbacks of a call made with {@code options}. */
  public static Executor executorOf(CallOptions options) {
    // grpc's getter returns null when the caller chose no executor.
    @Nullable Executor e = options.getExecutor();
    return e != null ? e : Shared.POOL;
  }

  /**
   * Runs {@code task} on {@code executor}; if the executor refuses it (shut down), runs it here, so
   * that no callback is ever lost.
   */
  public static void deliver(Executor executor, Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }
}
