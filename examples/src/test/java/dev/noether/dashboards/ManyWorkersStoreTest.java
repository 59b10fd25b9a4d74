package dev.noether.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many workers, one run, a distributed store (README "Many workers"): three DJL demo workers of run {@code r1}
 * ({@code djl-mlp --port 0 --run r1 --targets DIR}, each in its own JVM, generated data, a small MLP) write their
 * file_sd target files; {@code vmagent} discovers them there and remote-writes to {@code victoria-metrics};
 * {@code vmalert} evaluates the alert, recording and run rules against the store. Then:
 * <ul>
 *   <li>a worker killed with SIGKILL: its stale target file is swept by the others, the scraper drops the target,
 *       the other workers' series go on;</li>
 *   <li>a worker started late (default worker name {@code <host>-<pid>}): the scraper discovers it within one scrape
 *       interval of its file appearing;</li>
 *   <li>every panel query of both boards (GPU row aside) answered from the store has data for every live worker
 *       where it keeps the worker, and for the run where it aggregates over workers; every rule evaluates without
 *       error in vmalert and the run aggregates are recorded into the store.</li>
 * </ul>
 */
class ManyWorkersStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUN = "r1";
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    /** A liveness bound for the learned state some panels show (a CRH phase), which a starved CPU delays. */
    private static final Duration PHYSICS_TIMEOUT = Duration.ofMinutes(4);

    private final List<Process> started = new ArrayList<>();

    @Test
    void threeWorkersThroughFileSdAndVmagentIntoVictoriaMetrics(@TempDir Path dir) throws Exception {
        Path targets = Files.createDirectories(dir.resolve("targets"));
        Path rules = Files.createDirectories(dir.resolve("rules"));
        List<Path> ruleFiles = List.of(
                ImmediateAlertRules.copyOf(fromJar("prometheus/noether-alerts.yml", dir), rules),
                fromJar("prometheus/noether-recording.yml", dir),
                fromJar("prometheus/noether-runs.yml", dir));
        Path overview = fromJar("grafana/noether-overview.json", dir);
        Path layer = fromJar("grafana/noether-layer.json", dir);

        long start = System.nanoTime();
        try (VictoriaMetricsStack stack = VictoriaMetricsStack.start(dir, targets, ruleFiles)) {
            Map<String, Process> workers = new LinkedHashMap<>();
            for (String w : List.of("w1", "w2", "w3")) {
                workers.put(w, worker(dir, targets, w));
            }
            stack.awaitQuery("count(up{run=\"r1\"} == 1)", r -> value(r) == 3, TIMEOUT);
            assertThat(workersOf(stack.awaitQuery("noether_steps_total{run=\"r1\"}", r -> r.size() == 3, TIMEOUT)))
                    .containsExactly("w1", "w2", "w3");

            // SIGKILL: the target file stays behind; the other workers sweep it, the scraper drops the target
            Process killed = workers.remove("w2");
            Path w2File = targetFileOf(targets, "w2");
            killed.destroyForcibly(); // SIGKILL
            assertThat(killed.waitFor(30, TimeUnit.SECONDS)).isTrue();
            awaitUntil(() -> !Files.exists(w2File), TIMEOUT, "w2's stale target file swept");
            awaitUntil(() -> workersOf(stack.activeTargets(), "labels").equals(Set.of("w1", "w3")), TIMEOUT,
                    "vmagent drops w2's target: " + stack.activeTargets());
            double w1Before = stepsOf(stack, "w1");
            stack.awaitQuery("noether_steps_total{run=\"r1\",worker=\"w1\"}", r -> value(r) > w1Before, TIMEOUT);

            // a late worker with the default worker name: discovered within one scrape interval of its file
            Set<Path> before = jsonFiles(targets);
            workers.put("late", worker(dir, targets, null));
            Path lateFile = awaitNewFile(targets, before);
            long appeared = System.nanoTime();
            String lateWorker = JSON.readTree(lateFile.toFile()).get(0).get("labels").get("worker").asText();
            assertThat(lateWorker).as("the default worker: host-pid").endsWith("-" + workers.get("late").pid());
            awaitUntil(() -> workersOf(stack.activeTargets(), "labels").contains(lateWorker), TIMEOUT, "late worker discovered");
            Duration discovered = Duration.ofNanos(System.nanoTime() - appeared);
            System.out.printf("late worker: discovered by vmagent %.1f s after its target file appeared%n",
                    discovered.toMillis() / 1000.0);
            assertThat(discovered).as("discovered within one scrape interval").isLessThanOrEqualTo(VictoriaMetricsStack.SCRAPE_INTERVAL);

            Set<String> live = Set.of("w1", "w3", lateWorker);
            stack.awaitQuery("noether_steps_total{run=\"r1\"}", r -> workersOf(r).equals(live), TIMEOUT);
            System.out.printf("many workers: kill and late worker checked %.0f s after start%n", seconds(start));
            // the boards: some panels show a learned state (a CRH phase), which takes the workers a while
            stack.awaitQuery("count by (worker) (noether_pah_exponent_predicted{run=\"r1\"})",
                    r -> workersOf(r).containsAll(live), PHYSICS_TIMEOUT);
            System.out.printf("many workers: every live worker in a CRH phase %.0f s after start%n", seconds(start));

            TemplateVariables vars = TemplateVariables.matchingEverything().with("run", RUN).with("__rate_interval", "30s");
            List<String> missing = new ArrayList<>();
            int queries = 0;
            for (Path board : List.of(overview, layer)) {
                for (PanelQuery query : GrafanaDashboard.load(board).panelQueries()) {
                    if (query.readsGpuExporter()) continue;
                    queries++;
                    String promql = vars.substitute(query.expr());
                    try {
                        stack.awaitQuery(promql, r -> coversRun(r, live), Duration.ofSeconds(30));
                    } catch (AssertionError e) {
                        missing.add(query + " -> " + e.getMessage());
                    }
                }
            }
            assertThat(missing).as("panel queries without data per live worker or for the run (of " + queries + ")").isEmpty();

            // the rules against the store: every one evaluates, the run aggregates are recorded
            List<JsonNode> evaluated = stack.rules();
            assertThat(evaluated).hasSizeGreaterThan(20);
            assertThat(evaluated.stream().filter(r -> !"ok".equals(r.path("health").asText())).map(JsonNode::toString))
                    .as("rules with evaluation errors").isEmpty();
            stack.awaitQuery("run_layer:noether_layer_effective_rank:avg{run=\"r1\"}", r -> !r.isEmpty(), TIMEOUT);
            stack.awaitQuery("run:noether_workers:count{run=\"r1\"}", r -> value(r) == live.size(), TIMEOUT);
        } finally {
            for (Process p : started) p.destroyForcibly(); // only the workers this test started
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** Data for every live worker where the series keep {@code worker}, else for the run. */
    private static boolean coversRun(List<JsonNode> result, Set<String> live) {
        if (result.isEmpty()) return false;
        if (result.get(0).path("metric").has("worker")) return workersOf(result).containsAll(live);
        return result.stream().anyMatch(r -> RUN.equals(r.path("metric").path("run").asText()));
    }

    private Process worker(Path dir, Path targets, String worker) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.noether.examples.NoetherDemo", "djl-mlp",
                "--port", "0", "--run", RUN, "--targets", targets.toString(), "--progress-every", "100000000",
                // three trainers on a shared machine: the budget would space their analyses out, and some panels
                // need a worker's first CRH phase
                "--noether", "overheadBudget=1"));
        if (worker != null) cmd.addAll(List.of("--worker", worker));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("worker-" + (worker == null ? "late" : worker) + ".log").toFile()).start();
        started.add(p);
        return p;
    }

    private static Set<String> workersOf(List<JsonNode> result) {
        return workersOf(result, "metric");
    }

    private static Set<String> workersOf(List<JsonNode> result, String labelsField) {
        Set<String> workers = new TreeSet<>();
        for (JsonNode r : result) {
            String w = r.path(labelsField).path("worker").asText();
            if (!w.isEmpty()) workers.add(w);
        }
        return workers;
    }

    private static double value(List<JsonNode> result) {
        return result.isEmpty() ? Double.NaN : Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    private static double stepsOf(VictoriaMetricsStack stack, String worker) {
        return value(stack.query("noether_steps_total{run=\"r1\",worker=\"" + worker + "\"}"));
    }

    private static Path targetFileOf(Path targets, String worker) throws IOException {
        for (Path f : jsonFiles(targets)) {
            if (worker.equals(JSON.readTree(f.toFile()).get(0).get("labels").get("worker").asText())) return f;
        }
        throw new AssertionError("no target file of " + worker + " in " + jsonFiles(targets));
    }

    private static Set<Path> jsonFiles(Path dir) throws IOException {
        Set<Path> files = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.json")) {
            s.forEach(files::add);
        }
        return files;
    }

    private static Path awaitNewFile(Path dir, Set<Path> before) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (Path f : jsonFiles(dir)) {
                if (!before.contains(f)) return f;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no new target file in " + dir);
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void awaitUntil(Check check, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within " + timeout + ": " + what);
            Thread.sleep(100);
        }
    }

    private static Path fromJar(String entry, Path dir) throws IOException {
        try (InputStream in = ManyWorkersStoreTest.class.getResourceAsStream("/dev/noether/dashboards/" + entry)) {
            assertThat(in).as(entry + " in the dashboards jar").isNotNull();
            Path file = dir.resolve(entry.substring(entry.lastIndexOf('/') + 1));
            Files.copy(in, file);
            return file;
        }
    }
}
