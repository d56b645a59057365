package dev.lifeline.active;

import dev.lifeline.core.internal.Check;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of {@link LeaseStore#acquire}. Immutable and thread-safe.
 *
 * <p>A win is reported only when the attempt's own write created the lease. A lease of the caller
 * that the attempt did not write (an older write, a stale read after a lost compare-and-set) is
 * shown as {@code current} without a win: its holder's deadline would have to count from that older
 * write, which the caller does not know.
 *
 * @param won whether this attempt's write created {@code current}
 * @param current the lease now current as far as the store knows, if any
 */
public record Acquisition(boolean won, Optional<Lease> current) {

  /**
   * Checks the fields.
   *
   * @throws IllegalArgumentException if a win carries no lease
   */
  public Acquisition {
    Objects.requireNonNull(current, "current");
    if (won && current.isEmpty()) {
      throw Check.invalid("won", "true with no lease", "the lease won");
    }
  }

  /** This attempt wrote {@code lease}. */
  public static Acquisition won(Lease lease) {
    return new Acquisition(true, Optional.of(lease));
  }

  /** This attempt wrote nothing; {@code current} is what the store holds instead. */
  public static Acquisition notWon(Optional<Lease> current) {
    return new Acquisition(false, current);
  }
}
