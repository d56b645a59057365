package dev.lifeline.demo;

import dev.lifeline.active.ActiveMember;
import dev.lifeline.active.nats.NatsLeaseStore;
import dev.lifeline.core.CallPolicy;
import dev.lifeline.grpc.ChannelPool;
import dev.lifeline.http.LifelineHttpClient;
import dev.lifeline.testing.FakeClock;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the six library modules and the third-party modules they require are, found from one class
 * of each on the test class path (a reactor build puts {@code target/classes}, a plain build the
 * jars). The demo depends on all six library modules, which is why the module tests live here.
 */
final class LibraryModules {

  /** One class of each library module, by module name. */
  static final Map<String, Class<?>> LIBRARY =
      Map.of(
          "dev.lifeline.core", CallPolicy.class,
          "dev.lifeline.testing", FakeClock.class,
          "dev.lifeline.grpc", ChannelPool.class,
          "dev.lifeline.http", LifelineHttpClient.class,
          "dev.lifeline.active", ActiveMember.class,
          "dev.lifeline.active.nats", NatsLeaseStore.class);

  /**
   * One class of each third-party module a library module {@code requires}; automatic modules
   * require nothing, so their own dependencies need not be on the module path.
   */
  private static final List<String> REQUIRED_THIRD_PARTY =
      List.of(
          "io.github.resilience4j.circuitbreaker.CircuitBreaker",
          "io.github.resilience4j.core.EventConsumer",
          "io.micrometer.core.instrument.MeterRegistry",
          "org.slf4j.Logger",
          "io.grpc.Channel",
          "io.grpc.stub.StreamObserver",
          "io.grpc.protobuf.services.HealthStatusManager",
          "com.google.common.base.Preconditions",
          "org.apache.hc.client5.http.classic.HttpClient",
          "org.apache.hc.core5.http.Header",
          "io.nats.client.Nats",
          "org.awaitility.Awaitility",
          // Read with "requires static transitive": an application compiles against the nullness
          // annotations of Lifeline's API (Maven brings the jar as a compile dependency).
          "org.jspecify.annotations.NullMarked");

  private LibraryModules() {}

  /** The module path holding the library modules and what they require. */
  static List<Path> modulePath() throws ClassNotFoundException {
    Map<Path, Boolean> paths = new LinkedHashMap<>();
    for (Class<?> c : LIBRARY.values()) {
      paths.put(location(c), true);
    }
    for (String name : REQUIRED_THIRD_PARTY) {
      paths.put(location(Class.forName(name)), true);
    }
    return List.copyOf(paths.keySet());
  }

  /** The descriptor of library module {@code name}, read from its compiled module-info. */
  static ModuleDescriptor descriptor(String name) {
    Path location = location(LIBRARY.get(name));
    ModuleReference ref =
        ModuleFinder.of(location)
            .find(name)
            .orElseThrow(
                () -> new AssertionError("no module " + name + " (module-info) at " + location));
    return ref.descriptor();
  }

  /** The jar or classes directory {@code c} was loaded from. */
  static Path location(Class<?> c) {
    try {
      return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(c.getName(), e);
    }
  }
}
