package dev.noether.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Builds the fixture applications as jars, the way their authors would ship them: a thin jar whose manifest
 * names its dependencies, or a fat jar with the dependencies inside. The fixture classes come from the test
 * class folder ({@code fixture.*} packages only, so no Noether class), the dependency lists from files the
 * build writes with {@code dependency:build-classpath}.
 */
final class FixtureJars {
    static final Path AGENT_JAR = Path.of(required("noether.agent.jar"));
    private static final Path DIR = Path.of(required("noether.fixture.dir"));
    private static final Path CLASSES = Path.of(required("noether.fixture.classes"));

    private FixtureJars() {}

    /** DJL, its PyTorch engine and natives, and their dependencies. */
    static List<Path> djlClassPath() {
        return classPathFile("noether.fixture.djl.classpath");
    }

    /** DL4J, ND4J with its natives, and their dependencies. */
    static List<Path> dl4jClassPath() {
        return classPathFile("noether.fixture.dl4j.classpath");
    }

    /** micrometer-core, -commons and -observation of a version other than the agent's. */
    static List<Path> otherMicrometer() {
        try (Stream<Path> jars = Files.list(Path.of(required("noether.fixture.micrometer")))) {
            return jars.sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A jar of the classes in {@code packages} whose manifest names {@code mainClass} and {@code classPath}. */
    static synchronized Path thin(String name, String mainClass, List<Path> classPath, String... packages) {
        return fat(name, mainClass, List.of(), classPath, packages);
    }

    /**
     * A jar of the classes in {@code packages} and of everything in the jars {@code inside} (service files
     * merged, signatures dropped), whose manifest names {@code mainClass} and {@code classPath}.
     */
    static synchronized Path fat(String name, String mainClass, List<Path> inside, List<Path> classPath, String... packages) {
        Path jar = DIR.resolve(name + ".jar");
        try {
            Files.createDirectories(DIR);
            Manifest manifest = new Manifest();
            Attributes main = manifest.getMainAttributes();
            main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
            main.put(Attributes.Name.MAIN_CLASS, mainClass);
            if (!classPath.isEmpty()) {
                main.put(Attributes.Name.CLASS_PATH,
                        classPath.stream().map(p -> p.toUri().toString()).collect(Collectors.joining(" ")));
            }
            Set<String> written = new HashSet<>();
            Map<String, StringBuilder> services = new LinkedHashMap<>();
            try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
                written.add(JarFile.MANIFEST_NAME);
                for (String pkg : packages) {
                    Path dir = CLASSES.resolve(pkg.replace('.', '/'));
                    try (Stream<Path> files = Files.walk(dir)) {
                        for (Path f : files.filter(Files::isRegularFile).sorted().collect(Collectors.toList())) {
                            put(out, written, CLASSES.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
                        }
                    }
                }
                for (Path dependency : inside) {
                    try (JarFile in = new JarFile(dependency.toFile())) {
                        for (JarEntry e : in.stream().collect(Collectors.toList())) {
                            String entry = e.getName();
                            if (e.isDirectory() || skipped(entry)) continue;
                            byte[] bytes;
                            try (InputStream s = in.getInputStream(e)) {
                                bytes = s.readAllBytes();
                            }
                            if (entry.startsWith("META-INF/services/")) {
                                services.computeIfAbsent(entry, k -> new StringBuilder())
                                        .append(new String(bytes, StandardCharsets.UTF_8)).append('\n');
                            } else {
                                put(out, written, entry, bytes);
                            }
                        }
                    }
                }
                for (Map.Entry<String, StringBuilder> s : services.entrySet()) {
                    put(out, written, s.getKey(), s.getValue().toString().getBytes(StandardCharsets.UTF_8));
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean skipped(String entry) {
        String upper = entry.toUpperCase(java.util.Locale.ROOT);
        return upper.equals("META-INF/MANIFEST.MF") || upper.endsWith("MODULE-INFO.CLASS")
                || (upper.startsWith("META-INF/") && (upper.endsWith(".SF") || upper.endsWith(".DSA") || upper.endsWith(".RSA")));
    }

    private static void put(JarOutputStream out, Set<String> written, String entry, byte[] bytes) throws IOException {
        if (!written.add(entry)) return; // first one wins, as in a class path
        out.putNextEntry(new JarEntry(entry));
        out.write(bytes);
        out.closeEntry();
    }

    private static List<Path> classPathFile(String property) {
        try {
            String text = Files.readString(Path.of(required(property))).trim();
            List<Path> paths = new ArrayList<>();
            for (String entry : text.split(java.io.File.pathSeparator)) {
                if (!entry.isBlank()) paths.add(Path.of(entry));
            }
            return paths;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set: run the tests through Maven (mvn -pl agent -am verify)");
        }
        return value;
    }

    static String join(List<Path> paths) {
        return paths.stream().map(Path::toString).collect(Collectors.joining(java.io.File.pathSeparator));
    }

    static List<Path> concat(List<Path> a, List<Path> b) {
        List<Path> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    static boolean nameStartsWith(Path p, String... prefixes) {
        String name = p.getFileName().toString();
        return Arrays.stream(prefixes).anyMatch(name::startsWith);
    }
}
