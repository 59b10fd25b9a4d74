package dev.noether.exporter;

import dev.noether.core.micrometer.NoetherMetrics;
import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Scrape time of a 100-layer model (100 dense ReLU layers of 16, 99 rescaling pairs) after steps and one
 * heavy analysis: {@code exposition} is the registry's Prometheus text alone, {@code http} a full GET /metrics
 * on the endpoint (port 0, loopback). Target: under 5 ms.
 *
 * <p>Run: {@code mvn -q -pl exporter -am -Pbench-exporter -DskipTests verify -Dbench=ScrapeBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ScrapeBenchmark {
    static final int LAYERS = 100;
    static final int WIDTH = 16;

    private NoetherMonitor monitor;
    private NoetherExporter exporter;
    private HttpClient client;
    private HttpRequest request;
    private int series;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        NetworkDescription.Builder b = NetworkDescription.builder("deep");
        for (int l = 0; l < LAYERS; l++) {
            b.dense("fc" + l, WIDTH, WIDTH, true).activation(Activation.RELU);
        }
        NetworkDescription net = b.build();
        monitor = NoetherMonitor.builder(net).config(NoetherConfig.builder().observeEvery(1).analysisEvery(1)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).build()).build();
        exporter = NoetherExporter.builder().port(0).start();
        new NoetherMetrics(monitor).bindTo(exporter.registry());
        Random r = new Random(1);
        for (int t = 0; t < 3; t++) {
            StepSnapshot.Builder s = StepSnapshot.builder(t).loss(1.0 / (t + 1)).optimizer(OptimizerSettings.plainSgd(0.01, 0, 0));
            for (int l = 0; l < LAYERS; l++) {
                s.layer(LayerSnapshot.of(gaussian(r, WIDTH * WIDTH), gaussian(r, WIDTH),
                        gaussian(r, WIDTH * WIDTH), gaussian(r, WIDTH)));
            }
            monitor.onStep(s.build());
        }
        monitor.analyze(2, List::of);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((monitor.latestAnalysis() == null || monitor.isAnalysisRunning()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        client = HttpClient.newHttpClient();
        request = HttpRequest.newBuilder(exporter.url().resolve("/metrics")).build();
        series = (int) exporter.registry().scrape().lines().filter(line -> !line.startsWith("#")).count();
        System.out.printf("%n%d series in one scrape%n", series);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        exporter.close();
        monitor.close();
    }

    @Benchmark
    public int exposition() {
        return exporter.registry().scrape().length();
    }

    @Benchmark
    public int http() throws Exception {
        return client.send(request, HttpResponse.BodyHandlers.ofString()).body().length();
    }

    private static float[] gaussian(Random r, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (0.3 * r.nextGaussian());
        }
        return a;
    }
}
