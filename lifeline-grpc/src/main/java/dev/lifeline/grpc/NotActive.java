package dev.lifeline.grpc;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The NOT_ACTIVE answer of a single-active group: a standby member tells the caller "wrong replica,
 * try the active one". It travels as a gRPC status, never as a successful response: code {@link
 * Status.Code#UNAVAILABLE}, a description starting with {@value #DESCRIPTION_PREFIX}, and trailers
 * carrying the {@link #MARKER_KEY marker} plus, when the standby knows it, the active member's id
 * and address (the leader hint).
 *
 * <p>Both sides use this class: servers {@linkplain #status build} the answer, clients {@linkplain
 * #isNotActive recognise} it and read the {@linkplain #hint hint}. Thread-safe: stateless.
 */
public final class NotActive {

  /** Every NOT_ACTIVE description starts with this. */
  public static final String DESCRIPTION_PREFIX = "NOT_ACTIVE";

  /** Trailer present (value {@code "1"}) on every NOT_ACTIVE answer. */
  public static final Metadata.Key<String> MARKER_KEY =
      Metadata.Key.of("lifeline-not-active", Metadata.ASCII_STRING_MARSHALLER);

  /** Trailer with the id of the member the standby believes is active, when known. */
  public static final Metadata.Key<String> ACTIVE_ID_KEY =
      Metadata.Key.of("lifeline-active-id", Metadata.ASCII_STRING_MARSHALLER);

  /** Trailer with the address ({@code host:port}) of the active member, when known. */
  public static final Metadata.Key<String> ACTIVE_ADDRESS_KEY =
      Metadata.Key.of("lifeline-active-address", Metadata.ASCII_STRING_MARSHALLER);

  private NotActive() {}

  /**
   * The leader hint carried by a NOT_ACTIVE answer.
   *
   * @param activeId the active member's id, if the standby knew it
   * @param activeAddress the active member's address, if the standby knew it
   */
  public record Hint(Optional<String> activeId, Optional<String> activeAddress) {

    /** A hint that names nobody. */
    public static Hint none() {
      return new Hint(Optional.empty(), Optional.empty());
    }
  }

  /**
   * Builds the status a standby answers with.
   *
   * @param memberId the id of the answering standby, named in the description
   * @param group the group's display name (service/group), named in the description
   */
  public static Status status(String memberId, String group) {
    return Status.UNAVAILABLE.withDescription(
        DESCRIPTION_PREFIX + ": member " + memberId + " of group " + group + " is STANDBY");
  }

  /**
   * Builds the trailers of a NOT_ACTIVE answer.
   *
   * @param activeId the active member's id, or {@code null} if unknown
   * @param activeAddress the active member's address, or {@code null} if unknown
   */
  public static Metadata trailers(@Nullable String activeId, @Nullable String activeAddress) {
    Metadata md = new Metadata();
    md.put(MARKER_KEY, "1");
    if (activeId != null && !activeId.isEmpty()) {
      md.put(ACTIVE_ID_KEY, activeId);
    }
    if (activeAddress != null && !activeAddress.isEmpty()) {
      md.put(ACTIVE_ADDRESS_KEY, activeAddress);
    }
    return md;
  }

  /** The exception form, for handlers that prefer to throw. */
  public static StatusRuntimeException exception(
      String memberId, String group, @Nullable String activeId, @Nullable String activeAddress) {
    return status(memberId, group).asRuntimeException(trailers(activeId, activeAddress));
  }

  /**
   * Whether a call's outcome is a NOT_ACTIVE answer: UNAVAILABLE with the marker trailer, or (for
   * peers that lost trailers on the way) UNAVAILABLE with a description starting {@value
   * #DESCRIPTION_PREFIX}.
   */
  public static boolean isNotActive(Status status, @Nullable Metadata trailers) {
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    if (trailers != null && trailers.containsKey(MARKER_KEY)) {
      return true;
    }
    String d = status.getDescription();
    return d != null && d.startsWith(DESCRIPTION_PREFIX);
  }

  /** Whether a thrown exception is a NOT_ACTIVE answer. */
  public static boolean isNotActive(Throwable t) {
    Status s = Status.fromThrowable(t);
    return isNotActive(s, Status.trailersFromThrowable(t));
  }

  /** Reads the leader hint from NOT_ACTIVE trailers; {@link Hint#none()} when absent. */
  public static Hint hint(@Nullable Metadata trailers) {
    if (trailers == null) {
      return Hint.none();
    }
    return new Hint(
        Optional.ofNullable(trailers.get(ACTIVE_ID_KEY)).filter(s -> !s.isEmpty()),
        Optional.ofNullable(trailers.get(ACTIVE_ADDRESS_KEY)).filter(s -> !s.isEmpty()));
  }
}
