package dev.lifeline.active.nats.internal;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.support.Status;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease store's jnats error and connection listener: logs through SLF4J without credentials (no
 * URL with its user info, no raw exception message), then calls the application's listeners if it
 * gave any. jnats' own default error listener is skipped: it logs connection details through
 * java.util.logging. Thread-safe: immutable.
 */
public final class NatsListeners implements ErrorListener, ConnectionListener {

  private static final Logger log =
      LoggerFactory.getLogger("dev.lifeline.active.nats.NatsLeaseStore");

  private final Redactor redactor;
  private final @Nullable ErrorListener errors;
  private final @Nullable ConnectionListener connections;

  /**
   * @param errors the application's error listener, or null
   * @param connections the application's connection listener, or null
   */
  public NatsListeners(
      Redactor redactor, @Nullable ErrorListener errors, @Nullable ConnectionListener connections) {
    this.redactor = redactor;
    this.errors = isDefaultLogger(errors) ? null : errors;
    this.connections = connections;
  }

  /** Whether {@code l} is the listener jnats installs when none is given. */
  private static boolean isDefaultLogger(@Nullable ErrorListener l) {
    return l != null
        && l.getClass().getName().equals("io.nats.client.impl.ErrorListenerLoggerImpl");
  }

  @Override
  public void connectionEvent(Connection conn, Events type) {
    // Reconnect attempts happen many times during an outage; members log the outage once per
    // retry with its consequence, so these events stay at INFO.
    log.atInfo().addKeyValue("event", type).log("NATS lease store connection event");
    if (connections != null) {
      connections.connectionEvent(conn, type);
    }
  }

  @Override
  public void errorOccurred(Connection conn, String error) {
    log.atDebug().log("NATS error: " + redactor.redact(String.valueOf(error)));
    if (errors != null) {
      errors.errorOccurred(conn, error);
    }
  }

  @Override
  public void exceptionOccurred(Connection conn, Exception exp) {
    log.atDebug().log(
        "NATS connection exception: "
            + exp.getClass().getName()
            + ": "
            + redactor.redact(String.valueOf(exp.getMessage())));
    if (errors != null) {
      errors.exceptionOccurred(conn, exp);
    }
  }

  @Override
  public void slowConsumerDetected(Connection conn, Consumer consumer) {
    if (errors != null) {
      errors.slowConsumerDetected(conn, consumer);
    }
  }

  @Override
  public void messageDiscarded(Connection conn, Message msg) {
    if (errors != null) {
      errors.messageDiscarded(conn, msg);
    }
  }

  @Override
  public void heartbeatAlarm(
      Connection conn,
      JetStreamSubscription sub,
      long lastStreamSequence,
      long lastConsumerSequence) {
    log.atDebug().log("NATS watch heartbeat missed; jnats resets the watch");
    if (errors != null) {
      errors.heartbeatAlarm(conn, sub, lastStreamSequence, lastConsumerSequence);
    }
  }

  @Override
  public void unhandledStatus(Connection conn, JetStreamSubscription sub, Status status) {
    if (errors != null) {
      errors.unhandledStatus(conn, sub, status);
    }
  }

  @Override
  public void pullStatusWarning(Connection conn, JetStreamSubscription sub, Status status) {
    if (errors != null) {
      errors.pullStatusWarning(conn, sub, status);
    }
  }

  @Override
  public void pullStatusError(Connection conn, JetStreamSubscription sub, Status status) {
    if (errors != null) {
      errors.pullStatusError(conn, sub, status);
    }
  }

  @Override
  public void flowControlProcessed(
      Connection conn, JetStreamSubscription sub, String subject, FlowControlSource source) {
    if (errors != null) {
      errors.flowControlProcessed(conn, sub, subject, source);
    }
  }

  @Override
  public void socketWriteTimeout(Connection conn) {
    log.atDebug().log("NATS socket write timeout");
    if (errors != null) {
      errors.socketWriteTimeout(conn);
    }
  }
}
