package dev.lifeline.testing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The machine a measurement ran on, as the bench and chaos reports print it: CPUs, JVM and OS. One
 * place, so that every report names its environment the same way and runs can be compared.
 *
 * <p>Stateless and thread-safe.
 */
public final class RunEnvironment {

  private RunEnvironment() {}

  /**
   * A new map with {@code cpus} (available processors), {@code jvm} (VM name and runtime version)
   * and {@code os} (name, version and architecture), in that order.
   */
  public static Map<String, Object> describe() {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("cpus", Runtime.getRuntime().availableProcessors());
    env.put(
        "jvm",
        System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.runtime.version", System.getProperty("java.version")));
    env.put(
        "os",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"));
    return env;
  }
}
