package dev.lifeline.core;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What happened to one logical call that did not succeed.
 *
 * @param service the called service's name (e.g. a Dapr app id)
 * @param target where the calls went (authority, address or base URI)
 * @param method the full method name or HTTP route
 * @param attempts every attempt made, in order; empty if none was made (e.g. breaker open)
 * @param elapsed from the start of the logical call to its end
 * @param stopReason why no further attempt was made
 */
public record CallReport(
    String service,
    String target,
    String method,
    List<Attempt> attempts,
    Duration elapsed,
    StopReason stopReason) {

  /** Validates and copies the fields. */
  public CallReport {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(method, "method");
    attempts = List.copyOf(attempts);
    Objects.requireNonNull(elapsed, "elapsed");
    Objects.requireNonNull(stopReason, "stopReason");
  }

  /** The last attempt's status text, or the stop reason if no attempt was made. */
  public String lastStatus() {
    return attempts.isEmpty() ? stopReason.text() : attempts.get(attempts.size() - 1).status();
  }

  /**
   * A one-line description, e.g. {@code item-master ItemService/GetItemDetail failed after 3
   * attempts in 2.1 s: UNAVAILABLE (connection refused); attempts exhausted; target
   * 10.0.0.7:50051}.
   */
  public String message() {
    int n = attempts.size();
    StringBuilder sb =
        new StringBuilder()
            .append(service)
            .append(' ')
            .append(method)
            .append(" failed after ")
            .append(n)
            .append(n == 1 ? " attempt" : " attempts")
            .append(" in ")
            .append(format(elapsed));
    if (n > 0) {
      sb.append(": ").append(lastStatus());
    }
    return sb.append("; ").append(stopReason.text()).append("; target ").append(target).toString();
  }

  /** Formats a duration for people: {@code 350 ms}, {@code 2.1 s}. */
  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }
}
