package dev.lifeline.active.nats.internal;

import dev.lifeline.core.internal.Check;
import io.nats.client.Options;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The checks of {@code NatsLeaseStore.Builder}'s connection settings (servers, bucket,
 * credentials), and the jnats {@link Options} it builds: its own listeners installed, and a {@link
 * Redactor} for every secret in them. Stateless and thread-safe.
 */
public final class ConnectionSettings {

  /** The store's jnats options and the redactor for the secrets in them. */
  public record Prepared(Options options, Redactor redactor) {}

  private ConnectionSettings() {}

  /**
   * The server URLs, each checked by {@link #server}.
   *
   * @throws IllegalArgumentException if there are none, or one is not a nats:// or tls:// URL
   */
  public static List<String> servers(String... servers) {
    Objects.requireNonNull(servers, "servers");
    if (servers.length == 0) {
      throw Check.invalid("servers", "[]", ">= 1 nats:// or tls:// URL");
    }
    List<String> checked = new ArrayList<>();
    for (String s : servers) {
      checked.add(server(s));
    }
    return List.copyOf(checked);
  }

  /**
   * {@code url}, if it is a nats:// or tls:// URL with a host.
   *
   * @throws IllegalArgumentException otherwise, showing the URL without its user info
   */
  public static String server(String url) {
    Objects.requireNonNull(url, "server");
    String scheme = null;
    String host = null;
    try {
      URI u = new URI(url);
      scheme = u.getScheme();
      host = u.getHost();
    } catch (URISyntaxException e) {
      // Reported below, like any other bad URL.
    }
    if (host == null || !("nats".equals(scheme) || "tls".equals(scheme))) {
      String shown = Redactor.of(List.of()).redact(url);
      throw Check.invalid("server", "'" + shown + "'", "nats://host:port or tls://host:port");
    }
    return url;
  }

  /**
   * {@code bucket}, if it is a valid KV bucket name.
   *
   * @throws IllegalArgumentException if not 1-64 of [A-Za-z0-9_-]
   */
  public static String bucket(String bucket) {
    Objects.requireNonNull(bucket, "bucket");
    if (!bucket.matches("[A-Za-z0-9_-]{1,64}")) {
      throw Check.invalid("bucket", "'" + bucket + "'", "1-64 of [A-Za-z0-9_-]");
    }
    return bucket;
  }

  /**
   * {@code user}, if not empty.
   *
   * @throws IllegalArgumentException if empty
   */
  public static String user(String user) {
    Objects.requireNonNull(user, "user");
    if (user.isEmpty()) {
      throw Check.invalid("user", "''", "a non-empty user name");
    }
    return user;
  }

  /**
   * A copy of {@code token}, if not empty.
   *
   * @throws IllegalArgumentException if empty
   */
  public static char[] token(char[] token) {
    Objects.requireNonNull(token, "token");
    if (token.length == 0) {
      throw Check.invalid("token", "empty", "a non-empty token");
    }
    return token.clone();
  }

  /**
   * {@code file}, if it is a readable regular file.
   *
   * @throws IllegalArgumentException otherwise
   */
  public static Path credentialsFile(Path file) {
    Objects.requireNonNull(file, "credentialsFile");
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw Check.invalid("credentialsFile", "'" + file + "'", "a readable .creds file");
    }
    return file;
  }

  /**
   * Checks that at most one kind of credentials was given.
   *
   * @throws IllegalStateException if more than one of {@code kinds} is set
   */
  public static void atMostOneCredentialKind(boolean... kinds) {
    int set = 0;
    for (boolean k : kinds) {
      set += k ? 1 : 0;
    }
    if (set > 1) {
      throw new IllegalStateException(
          "credentials: "
              + set
              + " kinds set (expected: at most one of userInfo, token, credentialsFile)");
    }
  }

  /**
   * The store's options from {@code ob}: reconnecting for ever, and its own listeners, which log
   * without the secrets the options hold and then call those of {@code base}, if given.
   */
  public static Prepared prepare(Options.Builder ob, @Nullable Options base) {
    ob.maxReconnects(-1);
    Options draft = ob.build();
    Redactor redactor = Redactor.of(secretsOf(draft));
    NatsListeners listeners =
        new NatsListeners(
            redactor,
            base == null ? null : base.getErrorListener(),
            base == null ? null : base.getConnectionListener());
    return new Prepared(
        ob.errorListener(listeners).connectionListener(listeners).build(), redactor);
  }

  /** Passwords and tokens, given directly or inside server URLs. */
  private static List<String> secretsOf(Options o) {
    List<String> s = new ArrayList<>();
    char[] password = o.getPasswordChars();
    if (password != null) {
      s.add(new String(password));
    }
    char[] token = o.getTokenChars();
    if (token != null) {
      s.add(new String(token));
    }
    for (URI u : o.getServers()) {
      String info = u.getUserInfo();
      if (info != null) {
        int colon = info.indexOf(':');
        s.add(colon < 0 ? info : info.substring(colon + 1));
      }
    }
    return s;
  }
}
