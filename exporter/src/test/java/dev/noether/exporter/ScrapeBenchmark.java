package dev.noether.exporter;

import dev.noether.core.micrometer.NoetherMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

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

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

/**
 * Scrape time of a 100-layer model (100 dense ReLU layers of 16, 99 rescaling pairs) after steps and one
 * heavy analysis: {@code exposition} is the endpoint's body alone ({@link Exposition#scrape}), {@code http} a
 * full GET /metrics on the endpoint (port 0, loopback), whose body the client takes as bytes, as Prometheus
 * does (decoding it into a Java string took the client longer than the whole scrape took the server), in
 * Prometheus text ({@code format=text}) or OpenMetrics, which Prometheus asks for first. Target: under 5 ms. {@code registry=exporter} is the exporter's own
 * registry (the default), {@code registry=micrometer} a plain {@link PrometheusMeterRegistry} given to the
 * exporter, whose gauges Micrometer collects one by one.
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

    @Param({"exporter", "micrometer"})
    public String registry;

    @Param({"text", "openmetrics"})
    public String format;

    private DeepModel model;
    private PrometheusMeterRegistry given; // null with the exporter's own registry
    private NoetherExporter exporter;
    private HttpClient client;
    private HttpRequest request;
    private String contentType;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        model = new DeepModel(LAYERS, WIDTH);
        NoetherExporter.Builder b = NoetherExporter.builder().port(0);
        if (registry.equals("micrometer")) {
            given = new PrometheusMeterRegistry(ExporterPrometheusConfig.INSTANCE);
            b.registry(given);
        }
        exporter = b.start();
        new NoetherMetrics(model.monitor).bindTo(exporter.registry());
        for (int t = 0; t < 3; t++) {
            model.step(t);
        }
        model.analyze(2);
        client = HttpClient.newHttpClient();
        contentType = format.equals("text") ? Exposition.PROMETHEUS_TEXT : Exposition.OPENMETRICS_TEXT;
        request = HttpRequest.newBuilder(exporter.url().resolve("/metrics")).header("Accept", contentType).build();
        long series = exporter.registry().scrape().lines().filter(line -> !line.startsWith("#")).count();
        System.out.printf("%n%d series in one scrape%n", series);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        exporter.close();
        model.monitor.close();
        if (given != null) {
            given.close();
        }
    }

    @Benchmark
    public int exposition() {
        return Exposition.scrape(exporter.registry(), contentType).length;
    }

    @Benchmark
    public int http() throws Exception {
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    }
}
