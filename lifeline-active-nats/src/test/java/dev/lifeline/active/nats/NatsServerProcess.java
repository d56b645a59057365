package dev.lifeline.active.nats;

import static org.awaitility.Awaitility.await;

import dev.lifeline.testing.NatsCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A real nats-server with JetStream on a free loopback port; restartable on the same port/dir. */
final class NatsServerProcess implements AutoCloseable {

  private final String binary;
  private final int port;
  private final Path storeDir;
  private Process process;

  private NatsServerProcess(String binary, int port, Path storeDir) {
    this.binary = binary;
    this.port = port;
    this.storeDir = storeDir;
  }

  static NatsServerProcess start(String... extraArgs) {
    String bin = NatsCluster.findBinary();
    try {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      NatsServerProcess p =
          new NatsServerProcess(bin, port, Files.createTempDirectory("lifeline-nats-"));
      p.startProcess(extraArgs);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String url() {
    return "nats://127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  /** The JetStream store directory; copy it while stopped to roll the server back later. */
  Path storeDir() {
    return storeDir;
  }

  /** Starts the server (again) on the same port and store directory, with extra arguments. */
  void startProcess(String... extraArgs) {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                binary,
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                String.valueOf(port),
                "-sd",
                storeDir.toString()));
    cmd.addAll(List.of(extraArgs));
    try {
      process =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(storeDir.resolve("server.log").toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(this::accepting);
  }

  private boolean accepting() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  void stop() {
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(storeDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // Best effort: a temp dir left behind is harmless.
    }
  }
}
