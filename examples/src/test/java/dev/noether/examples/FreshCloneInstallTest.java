package dev.noether.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code mvn install} works from a fresh clone (issue: the dashboards module once failed with "did not assign a
 * file to the build artifact"). Clones the committed HEAD of this repository into a temporary folder and installs
 * it into a private local repository that has every third-party artifact (hard links into the build's own local
 * repository, offline) but nothing of {@code dev.noether}; then checks that every module's jar arrived and that
 * the dashboards jar carries the boards, provisioning files and rules. It runs the README's
 * {@code mvn install -DskipTests} (quiet, offline; about two minutes on two cores). It tests what is committed, so it needs a git checkout (as CI's fresh clone is).
 */
class FreshCloneInstallTest {
    private static final List<String> MODULES = List.of("noether-core", "noether-exporter", "noether-djl",
            "noether-dl4j", "noether-agent", "noether-dashboards", "noether-examples");

    @Test
    void installsEveryModuleIntoAnEmptyLocalRepository(@TempDir Path temp) throws Exception {
        Path root = repositoryRoot();
        Path clone = temp.resolve("clone");
        String head = run(root, temp.resolve("rev.log"), "git", "rev-parse", "HEAD").trim();
        run(root, temp.resolve("clone.log"), "git", "clone", "-q", "--shared", "--no-checkout", root.toString(), clone.toString());
        run(clone, temp.resolve("checkout.log"), "git", "checkout", "-q", head);

        Path repo = temp.resolve("repo");
        seed(localRepository(), repo);
        assertThat(repo.resolve("dev/noether")).doesNotExist();

        run(clone, temp.resolve("install.log"), "mvn", "-B", "-o", "-q", "install", "-DskipTests",
                "-Dmaven.repo.local=" + repo);

        for (String module : MODULES) {
            assertThat(repo.resolve("dev/noether/" + module + "/0.1.0-SNAPSHOT/" + module + "-0.1.0-SNAPSHOT.jar"))
                    .as(module).isRegularFile();
        }
        assertExporterBringsNoJackson(repo);
        try (ZipFile jar = new ZipFile(repo.resolve(
                "dev/noether/noether-dashboards/0.1.0-SNAPSHOT/noether-dashboards-0.1.0-SNAPSHOT.jar").toFile())) {
            for (String entry : List.of("grafana/noether-overview.json", "grafana/noether-layer.json",
                    "grafana/provisioning/dashboards/noether.yml", "grafana/provisioning/datasources/prometheus.yml",
                    "prometheus/noether-alerts.yml", "prometheus/noether-recording.yml", "prometheus/noether-runs.yml",
                    "prometheus/prometheus.yml")) {
                assertThat(jar.getEntry("dev/noether/dashboards/" + entry)).as(entry).isNotNull();
            }
        }
    }

    /**
     * The exporter as an application gets it: Jackson relocated inside its jar, none on the application's class path
     * (its POM has no Jackson dependency that Maven would follow), so Spark and others keep their own.
     */
    private static void assertExporterBringsNoJackson(Path repo) throws IOException {
        Path dir = repo.resolve("dev/noether/noether-exporter/0.1.0-SNAPSHOT");
        String pom = Files.readString(dir.resolve("noether-exporter-0.1.0-SNAPSHOT.pom"));
        assertThat(pom).as("the installed exporter POM").doesNotContain("<artifactId>jackson-databind</artifactId>");
        try (ZipFile jar = new ZipFile(dir.resolve("noether-exporter-0.1.0-SNAPSHOT.jar").toFile())) {
            assertThat(jar.stream().map(java.util.zip.ZipEntry::getName))
                    .as("classes under com/fasterxml").noneMatch(n -> n.startsWith("com/fasterxml/"))
                    .anyMatch(n -> n.startsWith("dev/noether/exporter/shaded/jackson/databind/ObjectMapper"));
        }
    }

    /** Hard links of every file of the local repository except dev/noether (cheap: no bytes are copied). */
    private static void seed(Path from, Path to) throws IOException {
        Path skip = from.resolve("dev/noether");
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (f.startsWith(skip)) {
                    continue;
                }
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(f)) {
                    Files.createLink(target, f);
                }
            }
        }
    }

    private static Path localRepository() {
        String configured = System.getProperty("noether.localRepository");
        Path repo = configured != null && !configured.isBlank() && !configured.contains("${")
                ? Paths.get(configured) : Paths.get(System.getProperty("user.home"), ".m2", "repository");
        assertThat(repo).as("the build's local repository").isDirectory();
        return repo;
    }

    private static Path repositoryRoot() {
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve(".git")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new AssertionError("not inside a git checkout of Noether: " + Paths.get("").toAbsolutePath());
    }

    /** Runs a command, output to {@code log}; fails with the log's tail unless it exits 0 within 10 minutes. */
    private static String run(Path dir, Path log, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            boolean ended = p.waitFor(10, TimeUnit.MINUTES);
            String out = Files.readString(log);
            assertThat(ended && p.exitValue() == 0).as("%s failed:%n%s", String.join(" ", command),
                    out.length() > 4000 ? out.substring(out.length() - 4000) : out).isTrue();
            return out;
        } finally {
            p.destroyForcibly(); // only the process this test started
        }
    }
}
