package dev.lifeline.grpc.internal;

import dev.lifeline.core.internal.Check;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Validates target strings before anything is built. Stateless and thread-safe. */
public final class Targets {

  private static final Pattern SCHEME_URI = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:/.*");

  private Targets() {}

  /**
   * Accepts {@code host}, {@code host:port}, {@code [v6]:port} and URIs with a scheme ({@code
   * dns:///host:port}, {@code unix:///path}).
   *
   * @throws IllegalArgumentException naming the target when it cannot be a gRPC target
   */
  public static void validate(@Nullable String target) {
    if (target == null) {
      throw Check.invalid("target", null, "host:port or a URI");
    }
    if (target.isBlank()) {
      throw Check.invalid("target", "''", "host:port or a URI");
    }
    for (int i = 0; i < target.length(); i++) {
      if (Character.isWhitespace(target.charAt(i)) || Character.isISOControl(target.charAt(i))) {
        throw invalid(target, "contains whitespace or a control character");
      }
    }
    if (SCHEME_URI.matcher(target).matches()) {
      try {
        new URI(target);
      } catch (URISyntaxException e) {
        throw invalid(target, e.getReason());
      }
      return;
    }
    URI uri;
    try {
      uri = new URI("lifeline://" + target);
    } catch (URISyntaxException e) {
      throw invalid(target, e.getReason());
    }
    if (uri.getHost() == null) {
      throw invalid(target, "no valid host name");
    }
    if (uri.getUserInfo() != null
        || !uri.getRawPath().isEmpty()
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      throw invalid(target, "expected only host and port");
    }
    int colon = target.lastIndexOf(':');
    boolean hasPortPart = colon > target.lastIndexOf(']');
    if (hasPortPart && (uri.getPort() < 1 || uri.getPort() > 65535)) {
      throw invalid(target, "port must be 1..65535");
    }
  }

  private static IllegalArgumentException invalid(String target, String why) {
    return new IllegalArgumentException(
        "target: '" + target + "' is not a valid gRPC target (" + why + ")");
  }
}
