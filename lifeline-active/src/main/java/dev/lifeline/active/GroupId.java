package dev.lifeline.active;

import dev.lifeline.core.internal.Check;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A single-active group: a service name plus a group id. Immutable and thread-safe.
 *
 * @param service the service name, e.g. {@code order-service}
 * @param group the group id within the service, e.g. {@code eu-1}
 */
public record GroupId(String service, String group) {

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

  /**
   * Validates both parts.
   *
   * @throws IllegalArgumentException if a part is not 1-64 characters of letters, digits, '_' and
   *     '-' starting with a letter or digit
   */
  public GroupId {
    checkId("service", service);
    checkId("group", group);
  }

  /** Same as the constructor. */
  public static GroupId of(String service, String group) {
    return new GroupId(service, group);
  }

  /**
   * Checks an id (service, group or member id) and returns it.
   *
   * @throws IllegalArgumentException naming {@code field} and the value if it is invalid
   */
  public static String checkId(String field, String value) {
    Objects.requireNonNull(value, field);
    if (!ID.matcher(value).matches()) {
      throw Check.invalid(
          field, "'" + value + "'", "1-64 of [A-Za-z0-9_-], starting with a letter or digit");
    }
    return value;
  }

  /** {@code service/group}, for logs and messages. */
  @Override
  public String toString() {
    return service + "/" + group;
  }
}
