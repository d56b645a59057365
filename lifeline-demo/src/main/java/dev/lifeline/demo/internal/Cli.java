package dev.lifeline.demo.internal;

import dev.lifeline.core.internal.Check;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsed command line of {@code demo} and {@code bench}. Immutable and thread-safe.
 *
 * @param command which command
 * @param scenario the bench scenario, empty for demo
 * @param duration the demo duration (default 40 s)
 * @param seed the demo random seed (default 42)
 * @param nats the NATS server, when the group should run over NATS
 * @param json where the bench writes its JSON, if anywhere
 * @param quick whether the bench runs a few-second smoke run
 * @param reportDir where the demo writes its HTML report (default {@code ./reports})
 */
public record Cli(
    Command command,
    String scenario,
    Duration duration,
    long seed,
    Optional<URI> nats,
    Optional<Path> json,
    boolean quick,
    Path reportDir) {

  /** The two commands this entry point runs. */
  public enum Command {
    DEMO,
    BENCH
  }

  /** What {@code --help} prints. */
  public static final String USAGE =
      "usage: demo [--duration 30s] [--seed N] [--nats nats://HOST:PORT] [--reports DIR]\n"
          + "       bench <scenario> [--json FILE] [--quick]\n"
          + "scenarios: "
          + String.join(" ", Bench.SCENARIOS);

  /** The default demo duration. */
  public static final Duration DEFAULT_DURATION = Duration.ofSeconds(40);

  private static final Pattern DURATION = Pattern.compile("(\\d{1,7})(ms|s|m|h)");

  /**
   * Parses the arguments.
   *
   * @throws UsageException naming the option and value when anything is wrong
   */
  public static Cli parse(String[] args) throws UsageException {
    if (args.length == 0) {
      throw new UsageException("expected 'demo' or 'bench <scenario>'");
    }
    Command command;
    int i = 1;
    String scenario = "";
    switch (args[0]) {
      case "demo" -> command = Command.DEMO;
      case "bench" -> {
        command = Command.BENCH;
        if (args.length < 2 || args[1].startsWith("--")) {
          throw new UsageException(
              "bench: missing scenario (expected one of: "
                  + String.join(", ", Bench.SCENARIOS)
                  + ")");
        }
        scenario = args[1];
        if (!Bench.SCENARIOS.contains(scenario)) {
          throw new UsageException(
              "bench: unknown scenario '"
                  + scenario
                  + "' (expected one of: "
                  + String.join(", ", Bench.SCENARIOS)
                  + ")");
        }
        i = 2;
      }
      default ->
          throw new UsageException(
              "unknown command '" + args[0] + "' (expected 'demo' or 'bench')");
    }
    Duration duration = DEFAULT_DURATION;
    long seed = 42;
    Optional<URI> nats = Optional.empty();
    Optional<Path> json = Optional.empty();
    boolean quick = false;
    Path reportDir = Path.of("reports");
    List<String> demoOnly = List.of("--duration", "--seed", "--reports");
    List<String> benchOnly = List.of("--json", "--quick");
    for (; i < args.length; i++) {
      String option = args[i];
      if ((command == Command.DEMO && benchOnly.contains(option))
          || (command == Command.BENCH && demoOnly.contains(option))) {
        throw new UsageException(
            option + ": not an option of " + command.name().toLowerCase(Locale.ROOT));
      }
      switch (option) {
        case "--quick" -> quick = true;
        case "--duration" -> duration = parseDuration(value(args, ++i, option));
        case "--seed" -> seed = parseSeed(value(args, ++i, option));
        case "--nats" -> nats = Optional.of(parseNats(value(args, ++i, option)));
        case "--json" -> json = Optional.of(Path.of(value(args, ++i, option)));
        case "--reports" -> reportDir = Path.of(value(args, ++i, option));
        default -> throw new UsageException("unknown option '" + option + "'");
      }
    }
    return new Cli(command, scenario, duration, seed, nats, json, quick, reportDir);
  }

  private static String value(String[] args, int i, String option) throws UsageException {
    if (i >= args.length) {
      throw new UsageException(option + ": missing value");
    }
    return args[i];
  }

  /**
   * Parses {@code 500ms}, {@code 30s}, {@code 2m} or {@code 1h}; the demo needs 5 s to 1 h.
   *
   * @throws UsageException naming the value and the expected form
   */
  static Duration parseDuration(String text) throws UsageException {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new UsageException(
          Check.invalid(
              "--duration", "'" + text + "'", "a number with ms, s, m or h, e.g. 30s or 2m"));
    }
    long n = Long.parseLong(m.group(1));
    Duration d =
        switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
    if (d.compareTo(Duration.ofSeconds(5)) < 0 || d.compareTo(Duration.ofHours(1)) > 0) {
      throw new UsageException(Check.invalid("--duration", text, "5s to 1h"));
    }
    return d;
  }

  private static long parseSeed(String text) throws UsageException {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new UsageException(Check.invalid("--seed", "'" + text + "'", "a whole number"));
    }
  }

  private static URI parseNats(String text) throws UsageException {
    URI uri;
    try {
      uri = new URI(text);
    } catch (java.net.URISyntaxException e) {
      throw new UsageException(Check.invalid("--nats", "'" + text + "'", "nats://HOST:PORT"));
    }
    if (!"nats".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() <= 0) {
      throw new UsageException(Check.invalid("--nats", "'" + text + "'", "nats://HOST:PORT"));
    }
    return uri;
  }
}
