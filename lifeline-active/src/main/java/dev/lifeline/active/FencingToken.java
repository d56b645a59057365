package dev.lifeline.active;

import io.grpc.Context;
import java.util.OptionalLong;

/**
 * The fencing token of the tenure that admitted the current exclusive call, for handlers to attach
 * to downstream writes. A downstream system that remembers the highest token it has accepted and
 * rejects lower ones cannot be corrupted by a deposed active that has not noticed yet (for example
 * after a long pause). Thread-safe.
 */
public final class FencingToken {

  static final Context.Key<Long> KEY = Context.key("lifeline-fencing-token");

  private FencingToken() {}

  /**
   * The token of the exclusive call running in the current gRPC {@link Context}.
   *
   * @return the token, or empty outside an exclusive call admitted by {@link ExclusiveInterceptor}
   */
  public static OptionalLong current() {
    Long t = KEY.get();
    return t == null ? OptionalLong.empty() : OptionalLong.of(t);
  }
}
