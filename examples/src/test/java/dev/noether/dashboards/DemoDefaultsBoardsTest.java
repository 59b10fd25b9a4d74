package dev.noether.dashboards;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's first command as a person runs it: {@code djl-mlp} with its defaults (only {@code --port 0}, and
 * the overhead budget lifted so that every due analysis runs whatever the load: the boards' queries are under test
 * here, the budget in {@code OverheadGovernorTest}), in its own JVM, scraped every second by a real Prometheus with the rule files from the dashboards jar. Every
 * panel query of both boards (taken from the jar too) must return data, except the GPU row (no GPU exporter
 * here); in particular norm imbalance and spread (4 dense layers) and the effective learning rate (the batch
 * norm of the last hidden layer). Also: some layer reaches a CRH phase other than none (the time is printed:
 * it is a figure, not a pass mark), and on SIGTERM (what Ctrl-C sends through the same shutdown hooks) the demo
 * stops, analyses the final state and says so.
 */
class DemoDefaultsBoardsTest {
    private static final Pattern URL = Pattern.compile("Noether metrics at http://([0-9.]+:[0-9]+)/metrics");
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    /** A liveness bound, not a speed target: the phase comes after ~1,750 steps, which a starved CPU delays. */
    private static final Duration PHASE_TIMEOUT = Duration.ofMinutes(5);

    @Test
    void everyPanelOfBothBoardsHasDataOnTheDefaultDemo(@TempDir Path dir) throws Exception {
        Path overview = fromJar("grafana/noether-overview.json", dir);
        Path layer = fromJar("grafana/noether-layer.json", dir);
        Path alerts = ImmediateAlertRules.copyOf(fromJar("prometheus/noether-alerts.yml", dir),
                Files.createDirectories(dir.resolve("rules")));
        Path recording = fromJar("prometheus/noether-recording.yml", dir);

        long start = System.nanoTime();
        Process demo = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.noether.examples.NoetherDemo", "djl-mlp", "--port", "0",
                // every due analysis, whatever the machine's load: at the 2 % default a loaded CI machine affords an
                // analysis a minute, and which CRH phases (so which panels) it meets in five minutes is then chance
                "--noether", "overheadBudget=1")
                .redirectErrorStream(true).redirectOutput(dir.resolve("demo.log").toFile()).start();
        try {
            String target = awaitTarget(dir.resolve("demo.log"));
            try (LocalPrometheus prometheus = LocalPrometheus.start(target, List.of(alerts, recording))) {
                try {
                    prometheus.awaitQuery("max(noether_crh_phase{phase!=\"none\"}) == 1", r -> !r.isEmpty(), PHASE_TIMEOUT);
                } catch (AssertionError e) {
                    String log = Files.readString(dir.resolve("demo.log"));
                    throw new AssertionError(e.getMessage() + "; the demo's output ends:\n"
                            + log.substring(Math.max(0, log.length() - 3000)), e);
                }
                System.out.printf("demo defaults: a CRH phase other than none %.0f s after the JVM started%n",
                        (System.nanoTime() - start) / 1e9);
                prometheus.awaitQuery("noether_pah_exponent_predicted", r -> !r.isEmpty(), PHASE_TIMEOUT);
                List<String> empty = new ArrayList<>();
                TemplateVariables all = TemplateVariables.matchingEverything().with("__rate_interval", "10s");
                for (Path board : List.of(overview, layer)) {
                    for (PanelQuery query : GrafanaDashboard.load(board).panelQueries()) {
                        if (query.readsGpuExporter()) {
                            continue;
                        }
                        try {
                            prometheus.awaitQuery(all.substitute(query.expr()), r -> !r.isEmpty(), Duration.ofSeconds(15));
                        } catch (AssertionError e) {
                            empty.add(query.toString());
                        }
                    }
                }
                assertThat(empty).as("panel queries without data on the default demo").isEmpty();
            }
            demo.destroy(); // SIGTERM: the demo's shutdown hook stops training at the next step
            assertThat(demo.waitFor(60, TimeUnit.SECONDS)).as("the demo exits after SIGTERM").isTrue();
            assertThat(Files.readString(dir.resolve("demo.log"))).contains("Training until Ctrl-C").contains("Stopped (Ctrl-C)")
                    .contains("final state").contains("The metrics endpoint closes now.");
        } finally {
            demo.destroyForcibly(); // the one process this test started
        }
    }

    /** The host:port of the metrics URL the demo prints first. */
    private static String awaitTarget(Path log) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = URL.matcher(Files.readString(log));
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the demo printed no metrics URL within " + TIMEOUT);
    }

    /** A file of the dashboards jar (its resources), copied out. */
    private static Path fromJar(String name, Path dir) throws IOException {
        try (InputStream in = DemoDefaultsBoardsTest.class.getResourceAsStream("/dev/noether/dashboards/" + name)) {
            assertThat(in).as("dashboards jar resource " + name).isNotNull();
            Path out = dir.resolve(name);
            Files.createDirectories(out.getParent());
            Files.copy(in, out);
            return out;
        }
    }
}
