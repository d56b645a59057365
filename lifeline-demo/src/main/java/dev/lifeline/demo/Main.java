package dev.lifeline.demo;

import dev.lifeline.demo.internal.Bench;
import dev.lifeline.demo.internal.Cli;
import dev.lifeline.demo.internal.Demo;
import dev.lifeline.demo.internal.UsageException;
import java.io.PrintStream;

/**
 * Entry point of {@code ./lifeline demo} and {@code ./lifeline bench}.
 *
 * <p>Bad input (an unknown scenario, a bad duration, an unreachable NATS server) prints one line on
 * stderr and exits with status 2; any other failure prints one line and exits with status 1. No
 * stack trace reaches the terminal. Not meant to be used concurrently.
 */
public final class Main {

  private Main() {}

  /**
   * Runs the command and exits the JVM with its status.
   *
   * @param args {@code demo [options]} or {@code bench <scenario> [options]}
   */
  public static void main(String[] args) {
    // The terminal is for the per-second lines and tables; the expected failures of the scripted
    // faults would otherwise log a warning each. -Dorg.slf4j.simpleLogger.defaultLogLevel=info
    // shows them.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    }
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs the command without exiting the JVM, for tests and embedding.
   *
   * @param args {@code demo [options]} or {@code bench <scenario> [options]}
   * @param out where progress, tables and the last summary line go
   * @param err where the one-line error goes
   * @return 0 on success, 2 on bad input, 1 on any other failure
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (java.util.Arrays.asList(args).contains("--help")
        || java.util.Arrays.asList(args).contains("-h")) {
      out.println(Cli.USAGE);
      return 0;
    }
    try {
      Cli cli = Cli.parse(args);
      if (cli.command() == Cli.Command.DEMO) {
        return Demo.run(cli, out);
      }
      return Bench.run(cli, out);
    } catch (UsageException e) {
      err.println("lifeline: " + e.getMessage());
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("lifeline: interrupted");
      return 1;
    } catch (Exception e) {
      err.println("lifeline: " + e.getClass().getSimpleName() + ": " + e.getMessage());
      return 1;
    }
  }
}
