package dev.lifeline.http.internal;

import dev.lifeline.http.HttpClientConfig;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.DefaultHostnameVerifier;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.client5.http.ssl.TrustAllStrategy;
import org.apache.hc.core5.ssl.SSLContextBuilder;

/** Builds the TLS strategy from a client's settings. Stateless and thread-safe. */
final class TlsSupport {

  private TlsSupport() {}

  static TlsSocketStrategy strategy(HttpClientConfig config) {
    SSLContext ssl = sslContext(config);
    if (!config.tlsVerification()) {
      // CLIENT policy: with BOTH, the JSSE endpoint check would still verify the host name.
      return new DefaultClientTlsStrategy(
          ssl, HostnameVerificationPolicy.CLIENT, NoopHostnameVerifier.INSTANCE);
    }
    return new DefaultClientTlsStrategy(
        ssl, HostnameVerificationPolicy.BOTH, new DefaultHostnameVerifier());
  }

  private static SSLContext sslContext(HttpClientConfig config) {
    SSLContextBuilder b = SSLContextBuilder.create();
    Optional<KeyStore> trustStore = config.trustStore();
    try {
      if (!config.tlsVerification()) {
        b.loadTrustMaterial(TrustAllStrategy.INSTANCE);
      } else if (trustStore.isPresent()) {
        b.loadTrustMaterial(trustStore.get(), null);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "trustStore: unusable for client '" + config.name() + "' (" + e.getMessage() + ")", e);
    }
    Optional<KeyStore> keyStore = config.keyStore();
    if (keyStore.isPresent()) {
      // Set with the key store, and copied for this use only: cleared below.
      char[] pw = config.keyPassword().orElseThrow();
      try {
        b.loadKeyMaterial(keyStore.get(), pw);
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException(
            "clientCertificate: unusable for client '"
                + config.name()
                + "' ("
                + e.getMessage()
                + ")",
            e);
      } finally {
        java.util.Arrays.fill(pw, '\0');
      }
    }
    try {
      return b.build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(
          "TLS context for client '" + config.name() + "': " + e.getMessage(), e);
    }
  }
}
