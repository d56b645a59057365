package dev.lifeline.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TcpProxyTest {

  private ServerSocket backend;
  private Thread backendThread;
  private TcpProxy proxy;

  @BeforeEach
  void setUp() throws IOException {
    backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    backendThread =
        new Thread(
            () -> {
              while (!backend.isClosed()) {
                try (Socket s = backend.accept()) {
                  s.getOutputStream().write(s.getInputStream().read());
                } catch (IOException e) {
                  return;
                }
              }
            });
    backendThread.setDaemon(true);
    backendThread.start();
    proxy = TcpProxy.start(backend.getLocalPort());
  }

  @AfterEach
  void tearDown() throws Exception {
    proxy.close();
    backend.close();
    backendThread.join(5_000);
  }

  private int roundTrip() throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write('x');
      out.flush();
      InputStream in = s.getInputStream();
      return in.read();
    }
  }

  /** A closed connection reads as end of stream, or as a reset if our byte arrived after close. */
  private boolean cutOff() {
    try {
      return roundTrip() == -1;
    } catch (IOException reset) {
      return true;
    }
  }

  @Test
  void forwardsBytesToTheBackend() throws IOException {
    assertThat(roundTrip()).isEqualTo('x');
    assertThat(proxy.target()).isEqualTo("127.0.0.1:" + proxy.port());
    assertThat(proxy.connectionAttempts()).isEqualTo(1);
  }

  @Test
  void refusingClosesNewConnectionsAndCountsThemUntilForwardingResumes() throws IOException {
    proxy.refuse();
    assertThat(cutOff()).isTrue();
    assertThat(cutOff()).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> proxy.connectionAttempts() == 2);
    proxy.forward();
    assertThat(roundTrip()).isEqualTo('x');
  }

  @Test
  void blackHoleKeepsConnectionsOpenButSilentThenForwardingClosesThemAndResumes()
      throws IOException {
    try (Socket before = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      await().atMost(Duration.ofSeconds(5)).until(() -> proxy.connectionAttempts() == 1);
      proxy.blackhole();
      for (Socket s :
          new Socket[] {before, new Socket(InetAddress.getLoopbackAddress(), proxy.port())}) {
        s.setSoTimeout(300);
        s.getOutputStream().write('x');
        s.getOutputStream().flush();
        assertThatThrownBy(() -> s.getInputStream().read())
            .as("silence, neither a byte nor end of stream")
            .isInstanceOf(SocketTimeoutException.class);
      }
      proxy.forward();
      before.setSoTimeout(5_000);
      assertThat(readOrReset(before)).as("the corrupted connection is closed").isEqualTo(-1);
    }
    assertThat(roundTrip()).isEqualTo('x');
  }

  private static int readOrReset(Socket s) {
    try {
      return s.getInputStream().read();
    } catch (IOException reset) {
      return -1;
    }
  }
}
