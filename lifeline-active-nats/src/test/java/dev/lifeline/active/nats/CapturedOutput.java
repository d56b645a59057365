package dev.lifeline.active.nats;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what the process writes while it is open: System.out and System.err (where slf4j-simple
 * writes) and java.util.logging (where jnats' default listener writes), still passing it on. Not
 * thread-safe to open twice at once.
 */
final class CapturedOutput implements AutoCloseable {

  private final PrintStream oldOut = System.out;
  private final PrintStream oldErr = System.err;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final Logger julRoot = Logger.getLogger("");
  private final Level oldLevel = julRoot.getLevel();
  private final Handler jul =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          synchronized (bytes) {
            byte[] line =
                (r.getLevel() + " " + r.getLoggerName() + " " + r.getMessage() + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            bytes.write(line, 0, line.length);
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  private CapturedOutput() {
    System.setOut(new PrintStream(new Tee(oldOut), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new Tee(oldErr), true, StandardCharsets.UTF_8));
    julRoot.addHandler(jul);
    julRoot.setLevel(Level.ALL);
  }

  static CapturedOutput start() {
    return new CapturedOutput();
  }

  String text() {
    synchronized (bytes) {
      return bytes.toString(StandardCharsets.UTF_8);
    }
  }

  @Override
  public void close() {
    System.setOut(oldOut);
    System.setErr(oldErr);
    julRoot.removeHandler(jul);
    julRoot.setLevel(oldLevel);
  }

  private final class Tee extends OutputStream {
    private final PrintStream next;

    Tee(PrintStream next) {
      this.next = next;
    }

    @Override
    public void write(int b) {
      synchronized (bytes) {
        bytes.write(b);
      }
      next.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      synchronized (bytes) {
        bytes.write(b, off, len);
      }
      next.write(b, off, len);
    }
  }
}
