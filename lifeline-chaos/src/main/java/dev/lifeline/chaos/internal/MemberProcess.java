package dev.lifeline.chaos.internal;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.chaos.ChaosMember;
import dev.lifeline.testing.ChildProcess;
import dev.lifeline.testing.NatsCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One member of the group as a JVM running {@link ChaosMember}, on a fixed port (so clients keep
 * their member list across restarts) and its own links to NATS (so it alone can be cut off).
 * Thread-safe (synchronized).
 */
public final class MemberProcess implements AutoCloseable {

  private final String id;
  private final int port;
  private final NatsCluster.ClientLinks links;
  private final List<String> command;
  private final Path log;

  @GuardedBy("this")
  private @Nullable ChildProcess process;

  /** How many times it was started. */
  @GuardedBy("this")
  private int starts;

  MemberProcess(
      String id, int port, NatsCluster.ClientLinks links, List<String> settings, Path dir) {
    this.id = id;
    this.port = port;
    this.links = links;
    this.log = dir.resolve(id + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Small, quick-starting JVMs: three of them share two cores with NATS and the runner.
    cmd.addAll(
        List.of(
            "-XX:+UseSerialGC",
            "-Xms32m",
            "-Xmx128m",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
            "-cp",
            System.getProperty("java.class.path"),
            ChaosMember.class.getName(),
            "--id",
            id,
            "--port",
            String.valueOf(port),
            "--nats",
            String.join(",", links.urls())));
    cmd.addAll(settings);
    this.command = List.copyOf(cmd);
  }

  public String id() {
    return id;
  }

  /** {@code 127.0.0.1:port}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  public NatsCluster.ClientLinks links() {
    return links;
  }

  public Path log() {
    return log;
  }

  /** Starts the process if it is not running. */
  public synchronized void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    starts++;
    process = ChildProcess.start(id + "#" + starts, command, log, l -> l.startsWith("READY "));
  }

  /** Waits until the running process serves. */
  public void awaitReady(Duration within) {
    ChildProcess p;
    synchronized (this) {
      p = process;
    }
    if (p == null) {
      throw new IllegalStateException(id + " is not started");
    }
    p.awaitReady(within);
  }

  /** Whether it runs and has said READY. */
  public synchronized boolean isServing() {
    return process != null
        && process.isAlive()
        && process.readyLine().isDone()
        && !process.readyLine().isCompletedExceptionally();
  }

  public synchronized void kill() {
    if (process != null) {
      process.kill();
    }
  }

  /** SIGTERM, and waits for the graceful exit (SIGKILL after 15 s). */
  public synchronized void terminate() {
    if (process != null) {
      process.terminate(Duration.ofSeconds(15));
    }
  }

  public synchronized void pause() {
    if (process != null) {
      process.pause();
    }
  }

  public synchronized void resume() {
    if (process != null) {
      process.resume();
    }
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      process.kill();
    }
  }

  @Override
  public String toString() {
    return id;
  }
}
