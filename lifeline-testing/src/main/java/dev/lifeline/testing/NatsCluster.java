package dev.lifeline.testing;

import static java.util.stream.Collectors.joining;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lifeline.core.internal.Check;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A NATS cluster of real {@code nats-server} processes with JetStream on loopback, for
 * fault-injection tests: every node can be killed (SIGKILL), stopped gracefully, paused (SIGSTOP)
 * and continued, and restarted on its ports and store; every route between two nodes and every link
 * from a client to a node runs through its own {@link TcpProxy}, so a cut is a real TCP-level cut.
 *
 * <ul>
 *   <li>Routes: node {@code i} dials node {@code j} through a proxy of its own (one per ordered
 *       pair), so {@link #isolate(int)} silences every route of a node in both directions. Nodes
 *       advertise a refusing address instead of their real route port, so they never learn a path
 *       around the proxies through gossip, and clients are never told the real client ports ({@code
 *       no_advertise}), so a client cut off stays cut off.
 *   <li>Clients: {@link #clientLinks(String)} gives a client its own proxy to each node, which
 *       {@link ClientLinks#cut()} black-holes.
 * </ul>
 *
 * <p>Ports are ephemeral, the store directories temporary; {@link #close()} stops every process,
 * closes every proxy and deletes the directories. Thread-safe: each operation on a node is
 * synchronized on that node.
 */
public final class NatsCluster implements AutoCloseable {

  /** A node's name, as the server reports it (for example as a stream's leader). */
  public static String nodeName(int index) {
    return "n" + index;
  }

  private final String binary;
  private final Path dir;
  private final List<Node> nodes = new ArrayList<>();

  /** routes[i][j]: node i's route to node j (null on the diagonal). */
  private final @Nullable TcpProxy[][] routes;

  private final List<TcpProxy> deadEnds = new ArrayList<>();

  @GuardedBy("this")
  private final List<ClientLinks> links = new ArrayList<>();

  private NatsCluster(String binary, Path dir, int size) {
    this.binary = binary;
    this.dir = dir;
    this.routes = new TcpProxy[size][size];
  }

  /**
   * Starts {@code size} clustered nodes with JetStream and waits until each accepts clients.
   *
   * @throws IllegalArgumentException if size is not 3 or 5 (a JetStream cluster needs an odd number
   *     of nodes of at least 3 to survive the loss of one)
   * @throws IllegalStateException if nats-server is not installed or a node does not start
   */
  public static NatsCluster start(int size) {
    if (size != 3 && size != 5) {
      throw Check.invalid("size", size, "3 or 5");
    }
    String bin = findBinary();
    NatsCluster cluster;
    try {
      cluster = new NatsCluster(bin, Files.createTempDirectory("lifeline-nats-cluster-"), size);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      cluster.configure(size);
      for (Node n : cluster.nodes) {
        n.start();
      }
      for (Node n : cluster.nodes) {
        n.awaitAccepting(Duration.ofSeconds(20));
      }
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** The nats-server binary on PATH, /usr/sbin or /usr/bin; fails saying how to install it. */
  public static String findBinary() {
    String path = System.getenv().getOrDefault("PATH", "");
    return Stream.concat(
            Stream.of(path.split(File.pathSeparator)), Stream.of("/usr/sbin", "/usr/bin"))
        .map(d -> Path.of(d, "nats-server"))
        .filter(Files::isExecutable)
        .map(Path::toString)
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "nats-server not found on PATH, /usr/sbin or /usr/bin. Install it with"
                        + " `apt-get install nats-server` (./lifeline test does this)."));
  }

  /**
   * Reserves every node's ports first and keeps them bound until the nodes start, so that the
   * proxies started meanwhile cannot be given one of them.
   */
  private void configure(int size) {
    List<ServerSocket> reserved = new ArrayList<>();
    try {
      int[] clusterPorts = new int[size];
      int[] clientPorts = new int[size];
      for (int i = 0; i < size; i++) {
        clusterPorts[i] = reserve(reserved);
        clientPorts[i] = reserve(reserved);
      }
      for (int i = 0; i < size; i++) {
        for (int j = 0; j < size; j++) {
          if (i != j) {
            routes[i][j] = TcpProxy.start(clusterPorts[j]);
          }
        }
      }
      for (int i = 0; i < size; i++) {
        TcpProxy deadEnd = TcpProxy.start(clusterPorts[i]);
        deadEnd.refuse();
        deadEnds.add(deadEnd);
        List<String> routeUrls = new ArrayList<>();
        for (int j = 0; j < size; j++) {
          if (i != j) {
            routeUrls.add("nats-route://127.0.0.1:" + routes[i][j].port());
          }
        }
        Path nodeDir = Files.createDirectories(dir.resolve(nodeName(i)));
        Node node = new Node(i, clientPorts[i], nodeDir);
        String conf =
            String.join(
                "\n",
                "server_name: " + nodeName(i),
                "listen: 127.0.0.1:" + node.clientPort,
                "jetstream {",
                "  store_dir: \"" + nodeDir.resolve("js") + "\"",
                "  max_memory_store: 64MB",
                "  max_file_store: 256MB",
                "}",
                "cluster {",
                "  name: lifeline",
                "  listen: 127.0.0.1:" + clusterPorts[i],
                "  advertise: 127.0.0.1:" + deadEnd.port(),
                "  no_advertise: true",
                "  routes: [" + String.join(", ", routeUrls) + "]",
                "}",
                "");
        Files.writeString(node.config, conf);
        nodes.add(node);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      reserved.forEach(NatsCluster::closeQuietly);
    }
  }

  private static int reserve(List<ServerSocket> reserved) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
    reserved.add(s);
    return s.getLocalPort();
  }

  private static void closeQuietly(ServerSocket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Nothing to do: the port is free either way.
    }
  }

  /** The number of nodes. */
  public int size() {
    return nodes.size();
  }

  /** Node {@code index} (0-based). */
  public Node node(int index) {
    Objects.checkIndex(index, nodes.size());
    return nodes.get(index);
  }

  /** The node named {@code name} ({@link #nodeName}). */
  public Node node(String name) {
    return nodes.stream()
        .filter(n -> n.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                Check.invalid(
                    "node",
                    "'" + name + "'",
                    "one of " + nodes.stream().map(Node::name).collect(joining(", "))));
  }

  /** The nodes' real client URLs, bypassing every proxy: for an observer that faults never cut. */
  public List<String> directUrls() {
    return nodes.stream().map(Node::url).toList();
  }

  /**
   * Silences every route of node {@code index}, both directions, with a black hole: the node and
   * the others see silence, as in a partition. Its clients stay connected to it.
   */
  public void isolate(int index) {
    forEachRouteOf(index, TcpProxy::blackhole);
  }

  /** Ends {@link #isolate(int)}: the silenced routes are closed and dialled again. */
  public void rejoin(int index) {
    forEachRouteOf(index, TcpProxy::forward);
  }

  private void forEachRouteOf(int index, java.util.function.Consumer<TcpProxy> action) {
    Objects.checkIndex(index, nodes.size());
    for (int j = 0; j < nodes.size(); j++) {
      if (j != index) {
        action.accept(routes[index][j]);
        action.accept(routes[j][index]);
      }
    }
  }

  /**
   * A client's own links to every node, through proxies that only this client uses, so that it
   * alone can be cut off from NATS.
   */
  public synchronized ClientLinks clientLinks(String client) {
    List<TcpProxy> proxies = new ArrayList<>();
    try {
      for (Node n : nodes) {
        proxies.add(TcpProxy.start(n.clientPort));
      }
    } catch (IOException e) {
      proxies.forEach(TcpProxy::close);
      throw new UncheckedIOException(e);
    }
    ClientLinks l = new ClientLinks(client, proxies);
    links.add(l);
    return l;
  }

  @Override
  public synchronized void close() {
    for (Node n : nodes) {
      n.kill();
    }
    links.forEach(ClientLinks::close);
    deadEnds.forEach(TcpProxy::close);
    for (TcpProxy[] row : routes) {
      for (TcpProxy p : row) {
        if (p != null) {
          p.close();
        }
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // Best effort: a temporary directory left behind is harmless.
    }
  }

  /** One client's proxied links to every node. Thread-safe. */
  public static final class ClientLinks implements AutoCloseable {
    private final String client;
    private final List<TcpProxy> proxies;

    private ClientLinks(String client, List<TcpProxy> proxies) {
      this.client = client;
      this.proxies = List.copyOf(proxies);
    }

    /** {@code nats://127.0.0.1:port} of each proxy, in node order. */
    public List<String> urls() {
      return proxies.stream().map(p -> "nats://" + p.target()).toList();
    }

    /** Black-holes every link: the client's connection goes silent, new ones never complete. */
    public void cut() {
      proxies.forEach(TcpProxy::blackhole);
    }

    /** Ends {@link #cut()}: silenced connections are closed, new ones go through. */
    public void heal() {
      proxies.forEach(TcpProxy::forward);
    }

    @Override
    public void close() {
      proxies.forEach(TcpProxy::close);
    }

    @Override
    public String toString() {
      return "links of " + client;
    }
  }

  /** One nats-server: its ports, store and process. Thread-safe (synchronized). */
  public final class Node {
    private final int index;
    private final int clientPort;
    private final Path config;
    private final Path log;

    /** The running server; null while stopped. */
    @GuardedBy("this")
    private @Nullable ChildProcess process;

    private Node(int index, int clientPort, Path nodeDir) {
      this.index = index;
      this.clientPort = clientPort;
      this.config = nodeDir.resolve("nats.conf");
      this.log = nodeDir.resolve("server.log");
    }

    /** {@code n0}, {@code n1}, ... as the server names itself. */
    public String name() {
      return nodeName(index);
    }

    public int index() {
      return index;
    }

    /** The real client URL, {@code nats://127.0.0.1:port}. */
    public String url() {
      return "nats://127.0.0.1:" + clientPort;
    }

    /** Whether its process runs (a paused node runs). */
    public synchronized boolean isRunning() {
      return process != null && process.isAlive();
    }

    /**
     * Starts the node on its ports and store, if it is not running. Returns at once: call {@link
     * #awaitAccepting} to wait for clients to be served.
     */
    public synchronized void start() {
      if (isRunning()) {
        return;
      }
      process =
          ChildProcess.start(name(), List.of(binary, "-c", config.toString()), log, line -> false);
    }

    /** Waits until the node accepts TCP connections from clients. */
    public void awaitAccepting(Duration within) {
      try {
        Awaitility.await(name() + " accepting clients (log " + log + ")")
            .atMost(within)
            .pollInterval(Duration.ofMillis(20))
            .until(
                () -> {
                  if (!isRunning()) {
                    throw new IllegalStateException(name() + " exited: " + logTail());
                  }
                  return accepting();
                });
      } catch (ConditionTimeoutException e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }

    private boolean accepting() {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), clientPort), 200);
        return true;
      } catch (IOException e) {
        return false;
      }
    }

    /** SIGKILL: the node crashes. */
    public synchronized void kill() {
      if (process != null) {
        process.kill();
        process = null;
      }
    }

    /** SIGTERM: the node shuts down cleanly (a Raft leader hands over). */
    public synchronized void stop() {
      if (process != null) {
        process.terminate(Duration.ofSeconds(10));
        process = null;
      }
    }

    /** SIGSTOP. */
    public synchronized void pause() {
      if (process != null) {
        process.pause();
      }
    }

    /** SIGCONT. */
    public synchronized void resume() {
      if (process != null) {
        process.resume();
      }
    }

    /** The last lines of the server's log, for a failure message (the log goes with close()). */
    public String logTail() {
      try {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
      } catch (IOException e) {
        return "(no log: " + e.getMessage() + ")";
      }
    }

    /** The server's log (appended across restarts). */
    public Path log() {
      return log;
    }

    @Override
    public String toString() {
      return name() + "@" + clientPort;
    }
  }
}
