package dev.noether.agent;

import dev.noether.exporter.EventLogReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the agent costs a short job (issue 21, "Cost on short and medium jobs"); a benchmark, not a test. A training
 * program of a few seconds runs as separate JVMs, plain and under the agent, interleaved (the order rotates every
 * round), each on one native thread. The agent's runs are split by what they switch on, so that the extra wall time
 * can be attributed: {@code off} (the agent jar and its premain, {@code enabled=false}), {@code steps} (the exporter,
 * the listener, every step observed, the analyses of step 0 and of the final state: {@code analysisEvery=10^9}) and
 * {@code defaults}. Prints each variant's median wall time, the median of its paired difference to the plain run of
 * the same round, how long the final observation at JVM shutdown took (event log, {@code details.final.seconds}),
 * and the machine's load before and after.
 *
 * <pre>
 * mvn -B -q -pl agent -am -Pagent-bench -DskipTests verify [-Dbench.args="djl 5 3000"]   (engine, rounds, steps)
 * </pre>
 */
public final class ShortJobBench {
    private static final String[] NAMES = {"plain", "off", "steps", "defaults"};
    private static final List<String> ONE_TORCH_THREAD = List.of("-Dai.djl.pytorch.num_threads=1",
            "-Dai.djl.pytorch.num_interop_threads=1");

    private ShortJobBench() {}

    public static void main(String[] args) throws Exception {
        String engine = args.length > 0 ? args[0] : "djl";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String size = args.length > 2 ? args[2] : engine.equals("djl") ? "3000" : "1500";
        Path jar = engine.equals("djl")
                ? FixtureJars.thin("djl-train", "fixture.djl.DjlTrain", FixtureJars.djlClassPath(), "fixture.djl")
                : FixtureJars.thin("dl4j-train", "fixture.dl4j.Dl4jTrain", FixtureJars.dl4jClassPath(), "fixture.dl4j");
        Path events = Files.createTempDirectory("noether-short-job");
        String[] agent = {null, "enabled=false", "port=0,analysisEvery=1000000000,events=", "port=0,events="};
        List<List<Double>> walls = new ArrayList<>();
        List<List<Double>> finals = new ArrayList<>();
        for (int v = 0; v < NAMES.length; v++) {
            walls.add(new ArrayList<>());
            finals.add(new ArrayList<>());
        }
        System.out.printf("short job: %s %s steps, %d rounds; load before %s%n", engine, size, rounds, load());
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < NAMES.length; i++) {
                int v = (i + r) % NAMES.length;
                Path log = events.resolve(NAMES[v] + "-" + r + ".jsonl");
                String argument = agent[v] == null || !agent[v].endsWith("events=") ? agent[v] : agent[v] + log;
                walls.get(v).add(run(argument, jar, size));
                if (Files.exists(log)) {
                    finals.get(v).add(finalSeconds(log));
                }
            }
        }
        System.out.printf("load after %s%n", load());
        System.out.printf("%-9s %12s %18s %14s%n", "variant", "median wall", "median Δ to plain", "final obs.");
        for (int v = 0; v < NAMES.length; v++) {
            List<Double> delta = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                delta.add(walls.get(v).get(r) - walls.get(0).get(r));
            }
            System.out.printf(Locale.ROOT, "%-9s %10.2f s %16.2f s %14s%n", NAMES[v], median(walls.get(v)), median(delta),
                    finals.get(v).isEmpty() ? "-" : String.format(Locale.ROOT, "%.2f s", median(finals.get(v))));
        }
    }

    /** The wall time of one JVM from start to exit; standard input is closed at once, so it ends after training. */
    private static double run(String agentArgument, Path jar, String size) throws Exception {
        long start = System.nanoTime();
        try (ChildJvm app = ChildJvm.start(agentArgument, ONE_TORCH_THREAD, Map.of("OMP_NUM_THREADS", "1"), jar, size)) {
            int exit = app.finish(Duration.ofMinutes(10));
            if (exit != 0) {
                throw new IllegalStateException("exit " + exit + "\n" + app.transcript());
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** The longest final observation of the run's event log (one per model), in seconds. */
    private static double finalSeconds(Path log) {
        double longest = 0;
        for (Map<String, Object> r : EventLogReader.readAll(log)) {
            if (r.get("details") instanceof Map<?, ?> d && d.get("final") instanceof Map<?, ?> f
                    && f.get("seconds") instanceof Number s) {
                longest = Math.max(longest, s.doubleValue());
            }
        }
        return longest;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
