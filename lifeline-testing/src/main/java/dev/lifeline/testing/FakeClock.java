package dev.lifeline.testing;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.Ticker;
import dev.lifeline.core.internal.Check;
import dev.lifeline.core.internal.TickerClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One fake source of time that owns both the clock and the tasks scheduled against it, like grpc's
 * {@code FakeClock}: tasks run only when a test calls {@link #forward(Duration)} or {@link
 * #runDueTasks()}, on the calling thread, in deadline order.
 *
 * <p>Thread-safe: any thread may read the time or schedule tasks; tasks run on the thread that
 * moves time forward.
 */
public final class FakeClock implements Ticker {

  private final Object lock = new Object();
  private final AtomicLong nanos = new AtomicLong();
  private final Instant epochStart;
  private final AtomicLong sequence = new AtomicLong();

  @GuardedBy("lock")
  private final PriorityQueue<Task> queue = new PriorityQueue<>(Task::compareTo);

  private final ScheduledExecutorService scheduler = new FakeScheduler();

  /** Creates a clock at nanos 0 whose wall time starts at 2026-01-01T00:00:00Z. */
  public FakeClock() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  /** Creates a clock at nanos 0 whose wall time starts at {@code epochStart}. */
  public FakeClock(Instant epochStart) {
    this.epochStart = epochStart;
  }

  @Override
  public long nanos() {
    return nanos.get();
  }

  /** Wall time that moves with {@link #nanos()}. */
  public Clock clock() {
    return TickerClock.of(this, epochStart);
  }

  /** A scheduler whose tasks run when this clock moves forward. {@code shutdown} is a no-op. */
  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Moves time forward by {@code step}, running every task that falls due, in order. */
  public int forward(Duration step) {
    Check.atLeast("step", step, Duration.ZERO);
    long target = nanos.get() + step.toNanos();
    int ran = 0;
    while (true) {
      Task next;
      synchronized (lock) {
        next = queue.peek();
        if (next == null || next.dueNanos > target) {
          break;
        }
        queue.poll();
      }
      nanos.getAndAccumulate(next.dueNanos, Math::max);
      next.run();
      ran++;
    }
    nanos.getAndAccumulate(target, Math::max);
    return ran;
  }

  /** Runs the tasks already due without moving time. */
  public int runDueTasks() {
    return forward(Duration.ZERO);
  }

  /** Number of scheduled tasks not yet run or cancelled that fall due within {@code horizon}. */
  public int pendingTasksDueWithin(Duration horizon) {
    long limit = nanos.get() + horizon.toNanos();
    synchronized (lock) {
      return (int) queue.stream().filter(t -> !t.isCancelled() && t.dueNanos <= limit).count();
    }
  }

  /** Number of scheduled tasks not yet run or cancelled. */
  public int pendingTasks() {
    synchronized (lock) {
      return (int) queue.stream().filter(t -> !t.isCancelled()).count();
    }
  }

  /**
   * One scheduled task. A periodic task stays the same object from run to run, so that the future
   * handed out cancels every later run: the thread that ran it moves its due time and sequence on
   * and queues it again, under {@link #lock}. Both are volatile because {@link #getDelay} and
   * {@link #compareTo} may read them from any thread, not only the queue under the lock.
   */
  private final class Task implements ScheduledFuture<Object> {
    volatile long dueNanos;
    final long periodNanos;
    volatile long seq = sequence.incrementAndGet();
    final Callable<?> body;
    volatile boolean cancelled;
    volatile boolean done;
    volatile @Nullable Object result;
    volatile @Nullable Throwable failure;

    Task(long dueNanos, long periodNanos, Callable<?> body) {
      this.dueNanos = dueNanos;
      this.periodNanos = periodNanos;
      this.body = body;
    }

    void run() {
      if (cancelled) {
        return;
      }
      try {
        result = body.call();
      } catch (Throwable t) {
        failure = t;
        done = true;
        return;
      }
      if (periodNanos == 0) {
        done = true;
        return;
      }
      synchronized (lock) {
        // Checked under the lock that cancel() removes under: a cancel from another thread
        // either sees the task queued and removes it, or this sees it cancelled.
        if (cancelled) {
          done = true;
        } else {
          dueNanos += periodNanos;
          seq = sequence.incrementAndGet();
          queue.add(this);
        }
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(dueNanos - nanos.get(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      Task other = (Task) o;
      int c = Long.compare(dueNanos, other.dueNanos);
      return c != 0 ? c : Long.compare(seq, other.seq);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done) {
        return false;
      }
      cancelled = true;
      synchronized (lock) {
        queue.remove(this);
      }
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public @Nullable Object get() throws ExecutionException {
      if (cancelled) {
        throw new CancellationException();
      }
      if (!done) {
        throw new IllegalStateException("task not run yet: move the FakeClock forward first");
      }
      Throwable f = failure;
      if (f != null) {
        throw new ExecutionException(f);
      }
      return result;
    }

    @Override
    public @Nullable Object get(long timeout, TimeUnit unit) throws ExecutionException {
      return get();
    }
  }

  private Task enqueue(Task task) {
    synchronized (lock) {
      queue.add(task);
    }
    return task;
  }

  private final class FakeScheduler implements ScheduledExecutorService {
    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      return enqueue(
          new Task(
              nanos.get() + Math.max(0, unit.toNanos(delay)),
              0,
              () -> {
                command.run();
                return null;
              }));
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      @SuppressWarnings("unchecked")
      ScheduledFuture<V> f =
          (ScheduledFuture<V>)
              (ScheduledFuture<?>)
                  enqueue(new Task(nanos.get() + Math.max(0, unit.toNanos(delay)), 0, callable));
      return f;
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(
        Runnable command, long initialDelay, long period, TimeUnit unit) {
      return enqueue(
          new Task(
              nanos.get() + unit.toNanos(initialDelay),
              unit.toNanos(period),
              () -> {
                command.run();
                return null;
              }));
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(
        Runnable command, long initialDelay, long delay, TimeUnit unit) {
      return scheduleAtFixedRate(command, initialDelay, delay, unit);
    }

    @Override
    public void execute(Runnable command) {
      ScheduledFuture<?> unused = schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return new ArrayList<>();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }

    @Override
    public <T> Future<T> submit(Callable<T> task) {
      return schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public <T> Future<T> submit(Runnable task, T result) {
      return schedule(
          () -> {
            task.run();
            return result;
          },
          0,
          TimeUnit.NANOSECONDS);
    }

    @Override
    public Future<?> submit(Runnable task) {
      return schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) {
      throw new UnsupportedOperationException("invokeAll would block on fake time");
    }

    @Override
    public <T> List<Future<T>> invokeAll(
        Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException("invokeAll would block on fake time");
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) {
      throw new UnsupportedOperationException("invokeAny would block on fake time");
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
        throws TimeoutException {
      throw new UnsupportedOperationException("invokeAny would block on fake time");
    }
  }
}
