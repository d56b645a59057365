package dev.lifeline.demo;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/api.md is the public API as compiled: every package a library module exports to everyone
 * (read from its module-info), each public type in it and each public or protected member. The test
 * regenerates the listing and fails, with the difference and the command that refreshes the file,
 * when docs/api.md says something else; so an API change shows up in review, and the file cannot
 * drift.
 */
class ApiListingTest {

  private static final Path API_MD = Path.of("..", "docs", "api.md");

  private static final String REFRESH =
      "mvn -B -pl lifeline-demo -am install -DskipTests"
          + " && mvn -B -pl lifeline-demo test -Dtest=ApiListingTest -Dlifeline.api.write=true";

  /** Methods every type has; listing them would only add noise. */
  private static final Set<String> OBJECT_METHODS = Set.of("equals", "hashCode", "toString");

  private static final Pattern PACKAGE_PREFIX = Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+");

  @Test
  void docsApiMdListsTheCompiledPublicApi() throws Exception {
    String listing = listing();

    if (Boolean.getBoolean("lifeline.api.write")) {
      Files.writeString(API_MD, listing, StandardCharsets.UTF_8);
      return;
    }
    String documented =
        Files.exists(API_MD) ? Files.readString(API_MD, StandardCharsets.UTF_8) : "";
    if (!documented.equals(listing)) {
      fail(
          "docs/api.md differs from the compiled public API. If the change is intended, refresh it"
              + " from the repository root with:\n  "
              + REFRESH
              + "\nand review the difference:\n"
              + difference(documented, listing));
    }
  }

  static String listing() throws IOException, ClassNotFoundException {
    StringBuilder out =
        new StringBuilder()
            .append("# Lifeline public API\n\n")
            .append(
                "Generated from the compiled classes by `ApiListingTest` (lifeline-demo); do not")
            .append(" edit by hand.\nRefresh: `")
            .append(REFRESH)
            .append("`\n\n")
            .append("Every package a library module exports to all modules, each public type in it")
            .append(" and its public and protected members\n(`equals`, `hashCode` and `toString`")
            .append(" left out). Packages exported only to other Lifeline modules\n(`dev.lifeline")
            .append(
                ".core.spi`, `dev.lifeline.core.internal`) and `internal` packages are not API.\n");
    for (String module : new TreeSet<>(LibraryModules.LIBRARY.keySet())) {
      ModuleDescriptor descriptor = LibraryModules.descriptor(module);
      out.append("\n## Module `").append(module).append("`\n");
      List<String> packages =
          descriptor.exports().stream()
              .filter(e -> !e.isQualified())
              .map(ModuleDescriptor.Exports::source)
              .sorted()
              .collect(Collectors.toList());
      Path location = LibraryModules.location(LibraryModules.LIBRARY.get(module));
      for (String pkg : packages) {
        out.append("\n### Package `").append(pkg).append("`\n");
        for (Class<?> type : publicTypes(location, pkg)) {
          out.append("\n#### ").append(describe(type)).append('\n');
          List<String> members = members(type);
          if (!members.isEmpty()) {
            out.append('\n');
            members.forEach(m -> out.append("- `").append(m).append("`\n"));
          }
        }
      }
    }
    return out.toString();
  }

  private static List<Class<?>> publicTypes(Path location, String pkg)
      throws IOException, ClassNotFoundException {
    String dir = pkg.replace('.', '/') + "/";
    List<String> names = new ArrayList<>();
    if (Files.isDirectory(location)) {
      try (Stream<Path> files = Files.list(location.resolve(dir))) {
        files.map(p -> p.getFileName().toString()).forEach(names::add);
      }
    } else {
      try (JarFile jar = new JarFile(location.toFile())) {
        jar.stream()
            .map(e -> e.getName())
            .filter(n -> n.startsWith(dir) && n.indexOf('/', dir.length()) < 0)
            .map(n -> n.substring(dir.length()))
            .forEach(names::add);
      }
    }
    List<Class<?>> types = new ArrayList<>();
    for (String file : names) {
      if (!file.endsWith(".class") || file.equals("package-info.class")) {
        continue;
      }
      Class<?> c =
          Class.forName(
              pkg + "." + file.substring(0, file.length() - 6),
              false,
              ApiListingTest.class.getClassLoader());
      if (isVisible(c)) {
        types.add(c);
      }
    }
    types.sort(Comparator.comparing(ApiListingTest::typeName));
    return types;
  }

  /** Public, and so is every type it is nested in; never anonymous or local. */
  private static boolean isVisible(Class<?> c) {
    for (Class<?> t = c; t != null; t = t.getDeclaringClass()) {
      if (!Modifier.isPublic(t.getModifiers()) || t.isAnonymousClass() || t.isLocalClass()) {
        return false;
      }
    }
    return true;
  }

  private static String describe(Class<?> c) {
    String kind =
        c.isAnnotation()
            ? "@interface"
            : c.isInterface()
                ? "interface"
                : c.isEnum() ? "enum" : c.isRecord() ? "record" : "class";
    StringBuilder sb = new StringBuilder("`");
    int mods = c.getModifiers();
    if (!c.isInterface() && !c.isEnum() && !c.isRecord()) {
      if (Modifier.isAbstract(mods)) {
        sb.append("abstract ");
      } else if (Modifier.isFinal(mods)) {
        sb.append("final ");
      }
    }
    sb.append(kind).append(' ').append(typeName(c));
    Type sup = c.getGenericSuperclass();
    if (sup != null && !c.isEnum() && !c.isRecord() && sup != Object.class) {
      sb.append(" extends ").append(simple(sup));
    }
    Type[] interfaces = c.getGenericInterfaces();
    if (interfaces.length > 0) {
      sb.append(c.isInterface() ? " extends " : " implements ")
          .append(
              Arrays.stream(interfaces)
                  .map(ApiListingTest::simple)
                  .collect(Collectors.joining(", ")));
    }
    return sb.append('`').toString();
  }

  /** Constants and fields, then constructors, then methods, each by name. */
  private static List<String> members(Class<?> c) {
    Map<String, String> out = new TreeMap<>();
    for (Field f : c.getDeclaredFields()) {
      if (isApi(f.getModifiers()) && !f.isSynthetic()) {
        out.put(
            (f.isEnumConstant() ? "0" : "1") + f.getName(),
            f.isEnumConstant()
                ? f.getName()
                : modifiers(f.getModifiers(), false)
                    + simple(f.getGenericType())
                    + " "
                    + f.getName());
      }
    }
    for (Constructor<?> k : c.getDeclaredConstructors()) {
      if (isApi(k.getModifiers()) && !k.isSynthetic()) {
        String text = modifiers(k.getModifiers(), false) + c.getSimpleName() + parameters(k);
        out.put("2" + text, text);
      }
    }
    for (Method m : c.getDeclaredMethods()) {
      if (!isApi(m.getModifiers()) || m.isSynthetic() || m.isBridge()) {
        continue;
      }
      if (OBJECT_METHODS.contains(m.getName()) || isEnumBoilerplate(c, m)) {
        continue;
      }
      String mods = modifiers(m.getModifiers(), c.isInterface());
      if (m.isDefault()) {
        mods = "default " + mods;
      }
      String text = mods + simple(m.getGenericReturnType()) + " " + m.getName() + parameters(m);
      out.put("3" + m.getName() + parameters(m) + text, text);
    }
    return new ArrayList<>(out.values());
  }

  private static boolean isEnumBoilerplate(Class<?> c, Method m) {
    return c.isEnum()
        && (m.getName().equals("values") && m.getParameterCount() == 0
            || m.getName().equals("valueOf") && m.getParameterCount() == 1);
  }

  private static boolean isApi(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  private static String modifiers(int m, boolean inInterface) {
    StringBuilder sb = new StringBuilder();
    if (Modifier.isProtected(m)) {
      sb.append("protected ");
    }
    if (Modifier.isStatic(m)) {
      sb.append("static ");
    }
    if (Modifier.isAbstract(m) && !inInterface) {
      sb.append("abstract ");
    }
    if (Modifier.isFinal(m) && !Modifier.isStatic(m)) {
      sb.append("final ");
    }
    return sb.toString();
  }

  private static String parameters(Executable e) {
    return Arrays.stream(e.getGenericParameterTypes())
        .map(ApiListingTest::simple)
        .collect(Collectors.joining(", ", "(", ")"))
        .replaceAll("\\[\\]\\)$", e.isVarArgs() ? "...)" : "[])");
  }

  private static String typeName(Class<?> c) {
    return c.getName().substring(c.getPackageName().length() + 1).replace('$', '.');
  }

  private static String simple(Type t) {
    return PACKAGE_PREFIX.matcher(t.getTypeName()).replaceAll("").replace('$', '.');
  }

  /** The lines only one side has, in order: enough to see what changed in a listing. */
  private static String difference(String documented, String generated) {
    List<String> was = documented.lines().collect(Collectors.toList());
    List<String> now = generated.lines().collect(Collectors.toList());
    Set<String> wasSet = new HashSet<>(was);
    Set<String> nowSet = new HashSet<>(now);
    StringBuilder sb = new StringBuilder();
    was.stream()
        .filter(l -> !nowSet.contains(l))
        .forEach(l -> sb.append("- ").append(l).append('\n'));
    now.stream()
        .filter(l -> !wasSet.contains(l))
        .forEach(l -> sb.append("+ ").append(l).append('\n'));
    return sb.length() == 0 ? "(only the order of lines differs)\n" : sb.toString();
  }
}
