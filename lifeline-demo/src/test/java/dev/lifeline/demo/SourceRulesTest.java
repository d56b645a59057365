package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The source rules of docs/conventions.md that the compiler cannot check, read from the source
 * tree: every package of main code has a real package-info that puts it under NullAway, no main
 * file is over 500 lines except value classes with builders, and lock contracts are annotations,
 * not comments.
 */
class SourceRulesTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static final int MAX_LINES = 500;

  /** Value classes with builders: long because each setting has its Javadoc, default and check. */
  private static final Map<String, String> LONG_VALUE_CLASSES =
      Map.of(
          "ChannelOptions.java", "channel settings and their builder",
          "HttpClientConfig.java", "HTTP client settings and their builder");

  private static final Pattern GUARDED_BY_COMMENT =
      Pattern.compile("(?i)(//|\\*).*\\bguarded by\\b");

  private static List<Path> mainSources() {
    try (Stream<Path> files = Files.walk(ROOT)) {
      return files
          .filter(p -> p.toString().endsWith(".java"))
          .filter(p -> ROOT.relativize(p).toString().contains("/src/main/java/"))
          .filter(p -> !ROOT.relativize(p).toString().contains("/target/"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void everyMainPackageHasAPackageInfoThatIsNullMarkedAndSaysWhatThePackageIsFor() {
    List<Path> packages =
        mainSources().stream()
            .map(Path::getParent)
            .filter(dir -> !dir.endsWith("java"))
            .distinct()
            .toList();
    assertThat(packages).hasSizeGreaterThan(20);
    for (Path dir : packages) {
      Path info = dir.resolve("package-info.java");
      assertThat(info).as("package-info of %s", ROOT.relativize(dir)).exists();
      String text = read(info);
      assertThat(text).as("%s", ROOT.relativize(info)).contains("@NullMarked");
      String javadoc = text.substring(text.indexOf("/**") + 3, text.indexOf("*/"));
      assertThat(javadoc.split("\\s+").length)
          .as("words of %s's Javadoc", ROOT.relativize(info))
          .isGreaterThanOrEqualTo(15);
    }
  }

  @Test
  void noMainFileIsOver500LinesExceptValueClassesWithBuilders() {
    for (Path p : mainSources()) {
      long lines = read(p).lines().count();
      if (!LONG_VALUE_CLASSES.containsKey(p.getFileName().toString())) {
        assertThat(lines).as("lines of %s", ROOT.relativize(p)).isLessThanOrEqualTo(MAX_LINES);
      }
    }
  }

  @Test
  void lockContractsAreGuardedByAnnotationsNotComments() {
    for (Path p : mainSources()) {
      read(p)
          .lines()
          .filter(l -> GUARDED_BY_COMMENT.matcher(l).find())
          .forEach(
              l ->
                  assertThat(l)
                      .as("a 'guarded by' comment in %s: use @GuardedBy", ROOT.relativize(p))
                      .isNull());
    }
  }
}
