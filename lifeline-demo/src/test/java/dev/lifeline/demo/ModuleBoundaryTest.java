package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The module-info files keep their promise: a module that requires every Lifeline library module
 * compiles against their API packages, and does not compile when it reaches into an {@code
 * internal} package or into core's SPI, which is exported only to the transports. Compiled with
 * javac on the module path, as an application would be.
 */
class ModuleBoundaryTest {

  private static final String PROBE_MODULE =
      """
      module probe {
        requires dev.lifeline.core;
        requires dev.lifeline.testing;
        requires dev.lifeline.grpc;
        requires dev.lifeline.http;
        requires dev.lifeline.active;
        requires dev.lifeline.active.nats;
      }
      """;

  @TempDir Path out;

  @Test
  void anApplicationModuleCompilesAgainstEveryApiPackage() throws Exception {
    List<Diagnostic<? extends JavaFileObject>> errors =
        compile(
            """
            package probe;

            import dev.lifeline.active.ActiveMember;
            import dev.lifeline.active.nats.NatsLeaseStore;
            import dev.lifeline.core.CallPolicy;
            import dev.lifeline.core.RetryPolicy;
            import dev.lifeline.grpc.ChannelPool;
            import dev.lifeline.http.LifelineHttpClient;
            import dev.lifeline.testing.FakeClock;

            public class Uses {
              public static Object[] all() {
                return new Object[] {
                  CallPolicy.builder().service("s").retryPolicy(RetryPolicy.defaults()).build(),
                  ActiveMember.class, NatsLeaseStore.class, ChannelPool.class,
                  LifelineHttpClient.class, new FakeClock()
                };
              }
            }
            """);

    assertThat(errors).as("errors compiling against the API packages").isEmpty();
  }

  @ParameterizedTest(name = "{0} is closed to applications")
  @CsvSource({
    "dev.lifeline.core.internal.CoreAccess, dev.lifeline.core",
    "dev.lifeline.core.spi.CallExecution, dev.lifeline.core",
    "dev.lifeline.grpc.internal.CallHandle, dev.lifeline.grpc",
    "dev.lifeline.http.internal.DefaultHttpClient, dev.lifeline.http",
    "dev.lifeline.active.internal.DefaultActiveMember, dev.lifeline.active",
    "dev.lifeline.active.nats.internal.Redactor, dev.lifeline.active.nats",
  })
  void anApplicationModuleThatReadsANonApiPackageDoesNotCompile(String type, String module)
      throws Exception {
    String pkg = type.substring(0, type.lastIndexOf('.'));

    List<Diagnostic<? extends JavaFileObject>> errors =
        compile(
            "package probe;\n\nimport "
                + type
                + ";\n\npublic class Reaches {\n  static final Class<?> C = "
                + type.substring(pkg.length() + 1)
                + ".class;\n}\n");

    assertThat(errors).as("the compile must fail").isNotEmpty();
    assertThat(messages(errors))
        .contains("package " + pkg + " is not visible")
        .contains("declared in module " + module + ", which does not export it");
  }

  private List<Diagnostic<? extends JavaFileObject>> compile(String source) throws IOException {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = javac.getStandardFileManager(null, Locale.ROOT, null)) {
      String modulePath;
      try {
        modulePath =
            LibraryModules.modulePath().stream()
                .map(Path::toString)
                .collect(Collectors.joining(java.io.File.pathSeparator));
      } catch (ClassNotFoundException e) {
        throw new AssertionError("a required module is not on the test class path", e);
      }
      // An empty class path: javac would otherwise take this test's, where every package is in
      // the unnamed module and the boundaries do not exist.
      List<String> options =
          List.of(
              "--release",
              "17",
              "--module-path",
              modulePath,
              "--class-path",
              out.toString(),
              "-d",
              out.toString());
      List<JavaFileObject> units =
          List.of(source("module-info", PROBE_MODULE), source(className(source), source));
      javac.getTask(null, files, diagnostics, options, null, units).call();
    }
    return diagnostics.getDiagnostics().stream()
        .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
        .collect(Collectors.toList());
  }

  private static String className(String source) {
    int at = source.indexOf("public class ") + "public class ".length();
    return "probe/" + source.substring(at, source.indexOf(' ', at));
  }

  private static String messages(List<Diagnostic<? extends JavaFileObject>> errors) {
    return errors.stream().map(d -> d.getMessage(Locale.ROOT)).collect(Collectors.joining("\n"));
  }

  private static JavaFileObject source(String name, String code) {
    return new SimpleJavaFileObject(
        URI.create("string:///" + name + ".java"), JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return code;
      }
    };
  }
}
