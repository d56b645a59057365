package dev.lifeline.active;

import dev.lifeline.core.internal.Check;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.List;
import java.util.Objects;

/**
 * Drives the standard gRPC health service from a member's role: SERVING while ACTIVE, NOT_SERVING
 * while STANDBY, for the given service names. Each update reads the member's state at that moment
 * instead of trusting the event it reacts to, and updates of one binding are serialized, so the
 * last update always shows the current role. Thread-safe.
 */
public final class ActiveHealth {

  private ActiveHealth() {}

  /**
   * Sets the current status now and on every role change.
   *
   * @param member the member whose role decides
   * @param health the server's health manager
   * @param serviceNames the health service names to report, e.g. {@code
   *     lifeline.examples.order.OrderService}
   */
  public static void bind(ActiveMember member, HealthStatusManager health, String... serviceNames) {
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(health, "health");
    List<String> names = List.of(serviceNames);
    if (names.isEmpty()) {
      throw Check.invalid("serviceNames", "[]", ">= 1 name");
    }
    Object binding = new Object();
    member.addListener((role, token) -> update(binding, member, health, names));
    update(binding, member, health, names);
  }

  private static void update(
      Object binding, ActiveMember member, HealthStatusManager health, List<String> names) {
    synchronized (binding) {
      ServingStatus s = member.isActive() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      for (String n : names) {
        health.setStatus(n, s);
      }
    }
  }
}
