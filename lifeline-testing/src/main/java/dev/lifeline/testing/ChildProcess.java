package dev.lifeline.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A child process that a fault-injection test can crash, stop gracefully, pause and resume with
 * real POSIX signals (SIGKILL, SIGTERM, SIGSTOP, SIGCONT). Its output goes, line by line, to a log
 * file that survives restarts (each start appends), and the first line matching a predicate
 * completes {@link #readyLine()}, so a caller waits for "ready" without polling a file.
 *
 * <p>A child still running when the JVM exits is killed by a shutdown hook, so an aborted test
 * leaves no server behind. Linux/macOS only (signals are sent with {@code kill}). Thread-safe.
 */
public final class ChildProcess {

  /** Children still running, killed by a shutdown hook if the parent exits without closing them. */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> LIVE.forEach(Process::destroyForcibly), "child-process-reaper"));
  }

  private final String name;
  private final Process process;
  private final CompletableFuture<String> ready = new CompletableFuture<>();

  private ChildProcess(String name, Process process) {
    this.name = name;
    this.process = process;
  }

  /**
   * Starts {@code command}, appending its standard output and error to {@code log}.
   *
   * @param readyWhen the line that says the process is ready; completes {@link #readyLine()}
   * @throws UncheckedIOException if the process cannot be started or the log cannot be written
   */
  public static ChildProcess start(
      String name, List<String> command, Path log, Predicate<String> readyWhen) {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command.get(0), e);
    }
    LIVE.add(p);
    CompletableFuture<?> unused = p.onExit().thenRun(() -> LIVE.remove(p));
    ChildProcess child = new ChildProcess(name, p);
    Thread copier = new Thread(() -> child.copyOutput(log, readyWhen), "child-output-" + name);
    copier.setDaemon(true);
    copier.start();
    return child;
  }

  private void copyOutput(Path log, Predicate<String> readyWhen) {
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer out =
            Files.newBufferedWriter(
                log,
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.write(line);
        out.write('\n');
        out.flush();
        if (!ready.isDone() && readyWhen.test(line)) {
          ready.complete(line);
        }
      }
    } catch (IOException e) {
      // The process died or the log is gone: nothing more to copy.
    } finally {
      ready.completeExceptionally(
          new IllegalStateException(name + " exited before it was ready (see " + log + ")"));
    }
  }

  /** The name given at start, for messages. */
  public String name() {
    return name;
  }

  /** The operating system's process id. */
  public long pid() {
    return process.pid();
  }

  /** Completes with the first output line that matched the ready predicate. */
  public CompletableFuture<String> readyLine() {
    return ready;
  }

  /**
   * Waits for the ready line.
   *
   * @throws IllegalStateException if the process exits first or {@code within} passes
   */
  public String awaitReady(Duration within) {
    try {
      return ready.get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + name, e);
    } catch (java.util.concurrent.ExecutionException e) {
      // The future fails only with copyOutput's IllegalStateException, but a cause is not promised.
      Throwable cause = Objects.requireNonNullElse(e.getCause(), e);
      throw new IllegalStateException(cause.getMessage(), cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(name + " not ready within " + within, e);
    }
  }

  /** Whether the process still runs (a paused process runs). */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: a crash. Returns once the process is gone (at most 10 s). */
  public void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  /**
   * SIGTERM: a graceful stop; SIGKILL if it has not exited within {@code grace}. A paused process
   * is continued first, or it could not handle the signal.
   */
  public void terminate(Duration grace) {
    if (!process.isAlive()) {
      return;
    }
    resume();
    process.destroy();
    if (!awaitExit(grace)) {
      kill();
    }
  }

  /** SIGSTOP: the process stops where it is, as in a long GC or VM pause. */
  public void pause() {
    signal("STOP");
  }

  /** SIGCONT. */
  public void resume() {
    signal("CONT");
  }

  /** Whether it exited within {@code within}. */
  public boolean awaitExit(Duration within) {
    try {
      return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void signal(String sig) {
    if (!process.isAlive()) {
      return;
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + sig, String.valueOf(pid())).start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + sig + " " + pid() + " (" + name + ") failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("kill -" + sig + " " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling " + name, e);
    }
  }

  @Override
  public String toString() {
    return name + "(pid " + pid() + ")";
  }
}
