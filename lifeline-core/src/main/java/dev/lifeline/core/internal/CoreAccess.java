package dev.lifeline.core.internal;

import dev.lifeline.core.CallPolicy;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The one bridge from the call engine ({@code dev.lifeline.core.spi}) to the state a {@link
 * CallPolicy} keeps but does not publish. {@code CallPolicy} hands its accessor over when its class
 * is initialised, which happens before any instance exists, so {@link #runtime} always finds it.
 * (The JDK's {@code SharedSecrets} works the same way.) This keeps the state off the policy's
 * public API without putting the engine in the API package.
 *
 * <p>Thread-safe: the accessor is published through a volatile field and set once.
 */
public final class CoreAccess {

  private static volatile @Nullable Function<CallPolicy, PolicyRuntime> runtimes;

  private CoreAccess() {}

  /**
   * Called once, by {@code CallPolicy}'s static initialiser.
   *
   * @throws IllegalStateException if an accessor is already set
   */
  public static synchronized void runtimes(Function<CallPolicy, PolicyRuntime> accessor) {
    if (runtimes != null) {
      throw new IllegalStateException("runtimes: already set (expected: set once by CallPolicy)");
    }
    runtimes = Objects.requireNonNull(accessor, "accessor");
  }

  /** The running state of {@code policy}. */
  public static PolicyRuntime runtime(CallPolicy policy) {
    Objects.requireNonNull(policy, "policy");
    // A CallPolicy instance exists, so its class is initialised and the accessor is set.
    return Objects.requireNonNull(runtimes, "CallPolicy not initialised").apply(policy);
  }
}
