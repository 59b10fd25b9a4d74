package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP endpoint over real sockets, checked by the real promtool. */
class NoetherExporterHttpTest {
    private static NoetherExporter exporter;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        exporter = NoetherExporter.builder().port(0).commonTags("run", "r1", "worker", "0")
                .eventLog(dir.resolve("run.jsonl")).start();
        RepresentativeMeters.register(exporter.registry());
    }

    @AfterAll
    static void stop() {
        exporter.close();
    }

    private static HttpResponse<String> send(String method, String path, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(exporter.url().resolve(path)).timeout(Duration.ofSeconds(5))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (accept != null) b.header("Accept", accept);
        return ExternalProcess.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsAreServedAsPrometheusTextThatPromtoolAcceptsWithoutWarnings() throws Exception {
        HttpResponse<String> r = send("GET", "/metrics", null);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(r.body())
                .contains("noether_steps_total{model=\"mlp\",run=\"r1\",worker=\"0\"} 42.0")
                .contains("noether_charge_drift{model=\"mlp\",pair=\"l1:l2\",run=\"r1\",symmetry=\"rescaling\",worker=\"0\"} 0.015")
                .contains("noether_analysis_seconds_count{model=\"mlp\",run=\"r1\",tier=\"heavy\",worker=\"0\"} 1")
                .contains("noether_info{engine=\"djl\"")
                // registered at zero with the event log, so alerts see 0 rather than an absent series
                .contains("noether_errors_total{model=\"\",run=\"r1\",stage=\"eventlog\",worker=\"0\"} 0.0");

        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        promtool.getOutputStream().write(r.body().getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String verdict = readAll(promtool.getInputStream());
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(verdict).as("promtool output").isEmpty();
        assertThat(promtool.exitValue()).isZero();
    }

    @Test
    void promtoolWouldReportABadName() throws Exception {
        // The promtool check above can fail: the same pipeline flags a counter without _total and a ms unit.
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        promtool.getOutputStream().write("# HELP x_ms latency\n# TYPE x_ms counter\nx_ms 1\n".getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String verdict = readAll(promtool.getInputStream());
        promtool.waitFor(30, TimeUnit.SECONDS);
        assertThat(verdict).contains("x_ms");
        assertThat(promtool.exitValue()).isNotZero();
    }

    @Test
    void openMetricsIsServedWhenTheScraperPrefersIt() throws Exception {
        // Prometheus 2.42's own Accept header.
        HttpResponse<String> r = send("GET", "/metrics",
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                        + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
        assertThat(r.body()).endsWith("# EOF\n").contains("noether_steps_total{model=\"mlp\",run=\"r1\",worker=\"0\"} 42.0");
        assertThat(r.body()).contains("# TYPE noether_steps counter"); // OpenMetrics names the family without _total
    }

    @Test
    void contentNegotiationHonoursWeights() {
        assertThat(Exposition.negotiate(null)).isEqualTo(Exposition.PROMETHEUS_TEXT);
        assertThat(Exposition.negotiate("*/*")).isEqualTo(Exposition.PROMETHEUS_TEXT);
        assertThat(Exposition.negotiate("application/openmetrics-text")).isEqualTo(Exposition.OPENMETRICS_TEXT);
        assertThat(Exposition.negotiate("text/plain;q=0.9, application/openmetrics-text;q=0.2")).isEqualTo(Exposition.PROMETHEUS_TEXT);
        assertThat(Exposition.negotiate("application/openmetrics-text;q=0")).isEqualTo(Exposition.PROMETHEUS_TEXT);
        assertThat(Exposition.negotiate("Application/OpenMetrics-Text; version=1.0.0; q=0.8, text/plain; q=0.5"))
                .isEqualTo(Exposition.OPENMETRICS_TEXT);
    }

    @Test
    void healthzRootUnknownPathsAndMethods() throws Exception {
        HttpResponse<String> health = send("GET", "/healthz", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("ok\n");

        assertThat(send("GET", "/", null).body()).contains("/metrics");
        assertThat(send("GET", "/nope", null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/metricsX", null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/metrics/", null).statusCode()).isEqualTo(404);

        for (String method : new String[] {"POST", "PUT", "DELETE"}) {
            HttpResponse<String> r = send(method, "/metrics", null);
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).as(method).hasValue("GET, HEAD");
        }
        HttpResponse<String> head = send("HEAD", "/metrics", null);
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void portZeroReportsTheBoundPortOnLoopback() throws Exception {
        URI url = exporter.url();
        assertThat(url.getHost()).isEqualTo("127.0.0.1");
        assertThat(url.getPort()).isPositive();
        try (ServerSocket probe = new ServerSocket()) {
            // the reported port is really taken: binding it again fails
            assertThatThrownBy(() -> probe.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), url.getPort())))
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void aBusyPortGivesOneClearMessage() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> NoetherExporter.builder().port(port).start())
                    .isInstanceOf(ExporterStartException.class)
                    .hasMessageContaining("127.0.0.1:" + port)
                    .hasMessageContaining("already in use")
                    .hasMessageContaining("port(0)")
                    .hasMessageContaining("--port");
        }
    }

    @Test
    void aGivenRegistryIsServedAndLeftOpen() throws Exception {
        PrometheusMeterRegistry mine = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (NoetherExporter other = NoetherExporter.builder().port(0).registry(mine).commonTags("run", "r2").start()) {
            assertThat(other.registry()).isSameAs(mine);
            mine.counter("noether.steps").increment(7);
            String body = ExternalProcess.get(other.url().resolve("/metrics").toString()).body();
            assertThat(body).contains("noether_steps_total{run=\"r2\"} 7.0");
        }
        assertThat(mine.isClosed()).isFalse();
        mine.close();
    }

    @Test
    void theEventLogIsClosedWithTheExporterAfterWritingWhatWasQueued() {
        Path path = dir.resolve("own.jsonl");
        NoetherExporter own = NoetherExporter.builder().port(0).eventLog(path).start();
        for (long i = 0; i < 50; i++) own.eventLog().orElseThrow().append(Map.of("type", "step", "step", i));
        own.close();
        assertThat(EventLogReader.readAll(path)).hasSize(50);
        assertThat(NoetherExporter.builder().port(0).start()).satisfies(none -> {
            assertThat(none.eventLog()).isEmpty();
            none.close();
        });
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.UTF_8);
    }
}
