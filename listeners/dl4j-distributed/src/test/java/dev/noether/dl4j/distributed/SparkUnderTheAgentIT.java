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
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DL4J on Spark under the agent, no Noether code in the program ({@link SparkTrainingProgram}: 3 fits of 5 averaging
 * rounds each, in its own JVM with {@code -javaagent:noether-agent.jar=port=0,run=spark}). Every round's fresh worker
 * network used to become a new model ({@code dl4j-2}, ..., threads and series growing with every round). Now: one
 * model, the driver's network and one worker per partition ({@code driver-p0}, {@code driver-p1}); after fit 1 and
 * after fit 3 the same Noether threads and the same series (a learned-state gauge aside), and each worker's steps
 * continue. Runs after {@code package} (failsafe), when {@code agent/target/noether-agent.jar} exists.
 */
class SparkUnderTheAgentIT {
    private static final Path AGENT = Path.of("../../agent/target/noether-agent.jar").toAbsolutePath().normalize();
    private static final Pattern URL = Pattern.compile("noether: metrics at (http://\\S+/metrics)");
    private static final Pattern FIT = Pattern.compile("FIT (\\d+) threads=(\\d+)");
    private static final Pattern STEPS = Pattern.compile("(?m)^noether_steps_total\\{([^}]*)} (\\S+)$");

    @Test
    void everyRoundsWorkerNetworkFeedsItsWorkersOneMonitor() throws Exception {
        assertThat(AGENT).as("the agent jar (mvn package of the agent module)").isRegularFile();
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-javaagent:" + AGENT + "=port=0,run=spark",
                "-Xmx1g", "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                "-cp", applicationClassPath(), SparkTrainingProgram.class.getName(), "3");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Path stderr = Files.createTempFile("spark-agent", ".err");
        Process program = pb.redirectError(stderr.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(program.getInputStream(), StandardCharsets.UTF_8));
             Writer in = new OutputStreamWriter(program.getOutputStream(), StandardCharsets.UTF_8)) {
            List<Set<String>> series = new ArrayList<>();
            List<Integer> threads = new ArrayList<>();
            List<Set<String>> stepLabels = new ArrayList<>();
            List<Double> workerSteps = new ArrayList<>();
            for (String line; (line = out.readLine()) != null; ) {
                Matcher fit = FIT.matcher(line);
                if (!fit.matches()) continue;
                String metrics = scrape(metricsUrl(stderr));
                series.add(noetherSeries(metrics));
                threads.add(Integer.parseInt(fit.group(2)));
                Set<String> labels = new TreeSet<>();
                double steps = 0;
                for (Matcher m = STEPS.matcher(metrics); m.find(); ) {
                    labels.add(m.group(1).replaceAll("run=\"spark\",?", ""));
                    if (m.group(1).contains("-p0\"")) steps = Double.parseDouble(m.group(2));
                }
                stepLabels.add(labels);
                workerSteps.add(steps);
                in.write("\n");
                in.flush();
            }
            assertThat(program.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(program.exitValue()).as(Files.readString(stderr)).isZero();
            assertThat(series).hasSize(3);
            assertThat(stepLabels.get(2)).as("noether_steps_total after 15 rounds: one model, the driver's and two workers")
                    .hasSize(3).allMatch(l -> l.contains("model=\"dl4j\"")).noneMatch(l -> l.contains("dl4j-2"))
                    .anyMatch(l -> l.contains("worker=\"driver-p0\"")).anyMatch(l -> l.contains("worker=\"driver-p1\""));
            // a step and an analysis thread at most per monitor (the driver's and two workers'); before, two per round
            assertThat(threads).as("Noether monitor threads after each fit").allMatch(n -> n <= 2 * 3);
            assertThat(series.get(2)).containsAll(series.get(0));
            assertThat(series.get(2).stream().filter(s -> !series.get(0).contains(s)))
                    .as("series new after fit 1").allMatch(s -> s.startsWith("noether_pah_exponent_predicted"));
            assertThat(workerSteps).as("driver-p0's steps after each fit: 10 per fit").containsExactly(10.0, 20.0, 30.0);
        } finally {
            program.destroyForcibly();
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
