package dev.noether.exporter;

import dev.noether.exporter.page.RunHistory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * How long {@code noether-exporter.jar ui run.jsonl} takes to open a long run: {@link ReplayServer#start} reads the
 * generated event log of {@code steps} steps ({@link SyntheticRun}: one step record per step, an analysis record
 * every 50, histograms every 50; 10⁶ steps are about 1.3 GB) into the page's history, then the page's first
 * requests ({@code /api/run}, every point of {@code /api/records}, {@code /api/layer}) are answered. One shot per
 * iteration: this is the wait a user sees.
 *
 * <p>Run: {@code mvn -q -pl exporter -am -Pbench-exporter -DskipTests verify -Dbench="ReplayBenchmark -wi 0 -i 1 -f 1"}
 * (the log is written once per trial to the temporary directory and deleted afterwards)
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class ReplayBenchmark {
    @Param({"1000000"})
    public long steps;

    private Path dir;
    private Path log;
    private final HttpClient http = HttpClient.newHttpClient();

    @Setup(Level.Trial)
    public void writeLog() throws Exception {
        dir = Files.createTempDirectory("noether-replay-bench");
        log = dir.resolve("run.jsonl");
        long bytes = SyntheticRun.write(log, steps);
        System.out.printf("%n%d steps: %d records, %.0f MiB%n", steps, steps + steps / SyntheticRun.EVERY, bytes / 1048576.0);
    }

    @TearDown(Level.Trial)
    public void deleteLog() throws Exception {
        Files.deleteIfExists(log);
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public int openThePage() throws Exception {
        try (ReplayServer server = ReplayServer.start(log, "127.0.0.1", 0, RunHistory.DEFAULT_MAX_RECORDS,
                RunHistory.DEFAULT_MAX_BYTES)) {
            URI base = server.url();
            int length = 0;
            for (String path : new String[] {"api/run", "api/records?after=0&epoch=0", "api/layer?name=01Linear"}) {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(base.resolve(path)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                length += r.body().length;
            }
            return length;
        }
    }
}
