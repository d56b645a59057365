package dev.lifeline.active.nats;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real nats-server for a test class, a fresh bucket name for each test, and what a test opened
 * closed after it, newest first. Register it as a static field:
 *
 * <pre>{@code
 * @RegisterExtension static final NatsServerExtension nats = new NatsServerExtension("s");
 * }</pre>
 *
 * <p>Not thread-safe: a test class's tests run one at a time.
 */
final class NatsServerExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

  private final String bucketPrefix;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private NatsServerProcess server;
  private int tests;
  private String bucket;

  /** Buckets are named {@code bucketPrefix} followed by the test's number in the class. */
  NatsServerExtension(String bucketPrefix) {
    this.bucketPrefix = bucketPrefix;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    server = NatsServerProcess.start();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    bucket = bucketPrefix + (++tests);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    closeAll();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    server.close();
  }

  /** The server's client URL. */
  String url() {
    return server.url();
  }

  /** The server's client port. */
  int port() {
    return server.port();
  }

  /** This test's bucket name, unused by any other test of the class. */
  String bucket() {
    return bucket;
  }

  /** Closes {@code c} after the test (before the ones opened earlier); returns it. */
  <T extends AutoCloseable> T closeLater(T c) {
    toClose.add(c);
    return c;
  }

  /** Closes now, newest first, what the test opened so far. */
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    toClose.clear();
  }
}
