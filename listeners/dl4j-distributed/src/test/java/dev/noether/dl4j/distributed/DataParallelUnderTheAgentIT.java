package dev.noether.dl4j.distributed;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Data-parallel DL4J under the agent, no Noether code in the programs. DL4J on Spark ({@link SparkTrainingProgram}: 3 fits of 5 averaging
 * rounds each, in its own JVM with {@code -javaagent:noether-agent.jar=port=0,run=spark}). Every round's fresh worker
 * network used to become a new model ({@code dl4j-2}, ..., threads and series growing with every round). Now: one
 * model, the driver's network and one worker per partition ({@code driver-p0}, {@code driver-p1}); after fit 1 and
 * after fit 3 the same Noether threads and the same series (a learned-state gauge aside), and each worker's steps
 * continue. ParallelWrapper ({@link ParallelWrapperProgram}: 3 fits, 2 replicas): one model with one worker per replica
 * ({@code <host>-<pid>-r0}, {@code -r1}), where every fit's new replicas used to be new models. Runs after
 * {@code package} (failsafe), when {@code agent/target/noether-agent.jar} exists.
 */
class DataParallelUnderTheAgentIT {
    private static final Path AGENT = Path.of("../../agent/target/noether-agent.jar").toAbsolutePath().normalize();
    private static final Pattern URL = Pattern.compile("noether: metrics at (http://\\S+/metrics)");
    private static final Pattern FIT = Pattern.compile("FIT (\\d+) threads=(\\d+)");
    private static final Pattern STEPS = Pattern.compile("(?m)^noether_steps_total\\{([^}]*)} (\\S+)$");
    private static final Pattern WORKER = Pattern.compile("worker=\"([^\"]+)\"");

    /** What the agent's endpoint showed after each fit. */
    private record Fit(Set<String> series, int threads, Set<String> stepLabels, Map<String, Double> steps) {}

    @Test
    void everyRoundsWorkerNetworkFeedsItsWorkersOneMonitor() throws Exception {
        List<Fit> fits = run(SparkTrainingProgram.class, "port=0,run=spark", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED");
        Fit last = fits.get(2);
        assertThat(last.stepLabels()).as("noether_steps_total after 15 rounds: one model, the driver's and two workers")
                .hasSize(3).allMatch(l -> l.contains("model=\"dl4j\"")).noneMatch(l -> l.contains("dl4j-2"))
                .anyMatch(l -> l.contains("worker=\"driver-p0\"")).anyMatch(l -> l.contains("worker=\"driver-p1\""));
        assertSeriesAndThreadsFixed(fits, 3);
        assertThat(fits.stream().map(f -> f.steps().get("driver-p0")).toList())
                .as("driver-p0's steps after each fit: 10 per fit").containsExactly(10.0, 20.0, 30.0);
    }

    @Test
    void everyFitsReplicasFeedTheirReplicasOneMonitor() throws Exception {
        List<Fit> fits = run(ParallelWrapperProgram.class, "port=0");
        Fit last = fits.get(2);
        assertThat(last.stepLabels()).as("noether_steps_total after 3 fits: one model, one worker per replica")
                .hasSize(2).allMatch(l -> l.contains("model=\"dl4j\""))
                .anyMatch(l -> l.matches(".*worker=\"[^\"]+-r0\".*")).anyMatch(l -> l.matches(".*worker=\"[^\"]+-r1\".*"));
        assertSeriesAndThreadsFixed(fits, 2);
        List<Double> updates = fits.stream().map(f -> f.steps().values().stream().mapToDouble(Double::doubleValue).sum()).toList();
        assertThat(updates).as("updates of both replicas after each fit: 40 per fit").containsExactly(40.0, 80.0, 120.0);
    }

    private static void assertSeriesAndThreadsFixed(List<Fit> fits, int monitors) {
        // a step and an analysis thread at most per monitor; before, two more per round or fit
        assertThat(fits).as("Noether monitor threads after each fit").allMatch(f -> f.threads() <= 2 * monitors);
        assertThat(fits.get(2).series()).containsAll(fits.get(0).series());
        assertThat(fits.get(2).series().stream().filter(s -> !fits.get(0).series().contains(s)))
                .as("series new after fit 1").allMatch(s -> s.startsWith("noether_pah_exponent_predicted"));
    }

    /** Runs {@code program} under the agent for 3 fits and scrapes the endpoint after each. */
    private static List<Fit> run(Class<?> program, String agentArguments, String... jvmOptions) throws Exception {
        assertThat(AGENT).as("the agent jar (mvn package of the agent module)").isRegularFile();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-javaagent:" + AGENT + "=" + agentArguments, "-Xmx1g"));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", applicationClassPath(), program.getName(), "3"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Path stderr = Files.createTempFile("agent-program", ".err");
        Process process = pb.redirectError(stderr.toFile()).start();
        List<Fit> fits = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            for (String line; (line = out.readLine()) != null; ) {
                Matcher fit = FIT.matcher(line);
                if (!fit.matches()) continue;
                String metrics = scrape(metricsUrl(stderr));
                Set<String> labels = new TreeSet<>();
                Map<String, Double> steps = new TreeMap<>();
                for (Matcher m = STEPS.matcher(metrics); m.find(); ) {
                    labels.add(m.group(1).replaceAll("run=\"spark\",?", ""));
                    Matcher worker = WORKER.matcher(m.group(1));
                    if (worker.find()) steps.put(worker.group(1), Double.parseDouble(m.group(2)));
                }
                fits.add(new Fit(noetherSeries(metrics), Integer.parseInt(fit.group(2)), labels, steps));
                in.write("\n");
                in.flush();
            }
            assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as(Files.readString(stderr)).isZero();
            assertThat(fits).hasSize(3);
            return fits;
        } finally {
            process.destroyForcibly();
        }
    }

    /** This test's class path without Noether's own classes (the agent stays off beside another copy). */
    private static String applicationClassPath() throws Exception {
        List<String> kept = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (!containsNoether(p)) kept.add(entry);
        }
        return String.join(File.pathSeparator, kept);
    }

    private static boolean containsNoether(Path entry) throws Exception {
        List<String> ours = List.of("dev/noether/core/runtime/NoetherConfig.class", "dev/noether/dl4j/NoetherListener.class",
                "dev/noether/exporter/NoetherExporter.class", "dev/noether/gpu/NvmlGpuMetrics.class");
        if (Files.isDirectory(entry)) return ours.stream().anyMatch(o -> Files.exists(entry.resolve(o)));
        if (!Files.isRegularFile(entry)) return false;
        try (ZipFile jar = new ZipFile(entry.toFile())) {
            return ours.stream().anyMatch(o -> jar.getEntry(o) != null);
        }
    }

    private static String metricsUrl(Path stderr) throws Exception {
        Matcher m = URL.matcher(Files.readString(stderr));
        assertThat(m.find()).as("the agent's URL line in: " + Files.readString(stderr)).isTrue();
        return m.group(1);
    }

    private static String scrape(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static Set<String> noetherSeries(String exposition) {
        Set<String> series = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("noether_") && !line.startsWith("noether_gpu")) series.add(line.substring(0, line.lastIndexOf(' ')));
        }
        return series;
    }
}
