package dev.lifeline.active;

import io.grpc.Context;
import java.util.OptionalLong;

/**
 * The fencing token of the tenure that admitted the current exclusive call. Thread-safe.
 *
 * <p>What an exclusive handler must do. The lease keeps two members from <em>admitting</em>
 * exclusive calls at once; it cannot stop work that is already running on a member that lost its
 * tenure without noticing (a GC or VM pause, a call longer than the safety margin). Two things
 * close that gap:
 *
 * <ul>
 *   <li><b>The token.</b> Attach {@link #current()} to every write the call makes downstream, and
 *       have the downstream system reject a token lower than the highest it has accepted (for
 *       example {@code UPDATE ... WHERE token <= ?}). Only this covers a paused process: its clocks
 *       stop with it, so nothing local notices the pause in time.
 *   <li><b>The {@link Context}.</b> {@link ExclusiveInterceptor} runs each step of the call in a
 *       context that is cancelled when the tenure ends and whose deadline is the tenure's local
 *       deadline. Check {@code Context.current().isCancelled()} before each exclusive effect, pass
 *       the context to work you start on other threads ({@link Context#wrap(Runnable)}) and let
 *       downstream gRPC calls inherit it: they then carry the tenure deadline. Work that must
 *       outlive a tenure (longer than {@code ttl - safetyMargin} after the last renewal) cannot be
 *       exclusive: split it, or raise the TTL.
 * </ul>
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

  /** {@code parent} carrying {@code token}, for permits made outside this package. */
  public static Context withToken(Context parent, long token) {
    return parent.withValue(KEY, token);
  }
}
