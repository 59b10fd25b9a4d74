package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Pushgateway (Debian package `prometheus-pushgateway`) receives the pushes. */
class PushGatewayTest {
    @TempDir
    Path dir;

    private ExternalProcess startPushgateway(int port) throws Exception {
        // no --persistence.file: the Pushgateway keeps the metrics in memory only
        ExternalProcess gateway = ExternalProcess.start(List.of("prometheus-pushgateway",
                "--web.listen-address=127.0.0.1:" + port, "--log.level=warn"), dir.resolve("pushgateway.log"));
        gateway.awaitBody("http://127.0.0.1:" + port + "/-/ready", body -> true, Duration.ofSeconds(20));
        return gateway;
    }

    @Test
    void theFinalPushAndPeriodicPushesReachThePushgateway() throws Exception {
        int port = ExternalProcess.freePort();
        String metrics = "http://127.0.0.1:" + port + "/metrics";
        try (ExternalProcess gateway = startPushgateway(port)) {
            NoetherExporter exporter = NoetherExporter.builder().port(0).commonTags("run", "r1", "worker", "0")
                    .pushGateway("127.0.0.1:" + port, "noether-test").pushEvery(Duration.ofMillis(200)).start();
            Counter steps = Counter.builder("noether.steps").description("Training steps observed").tag("model", "mlp")
                    .register(exporter.registry());
            steps.increment(5);

            // periodic push: the Pushgateway shows the value while the job still runs
            String seriesStart = "noether_steps_total{instance=\"\",job=\"noether-test\",model=\"mlp\",run=\"r1\",worker=\"0\"} ";
            gateway.awaitBody(metrics, body -> body.contains(seriesStart + "5"), Duration.ofSeconds(20));

            steps.increment(37);
            exporter.close(); // final push, synchronous
            String body = ExternalProcess.get(metrics).body();
            assertThat(body).contains(seriesStart + "42");
            assertThat(body).contains("push_failure_time_seconds{instance=\"\",job=\"noether-test\",run=\"r1\",worker=\"0\"} 0");
            assertThat(((PrometheusMeterRegistry) exporter.registry()).get("noether.errors").tag("stage", "push").counter().count())
                    .isZero();
        }
    }

    @Test
    void aFailedPushIsWarnedOnceCountedAndNotThrown() throws Exception {
        int deadPort = ExternalProcess.freePort(); // nothing listens there
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (CapturedLog captured = new CapturedLog(PushGatewayClient.class)) {
            NoetherExporter exporter = NoetherExporter.builder().port(0).registry(registry)
                    .pushGateway("127.0.0.1:" + deadPort, "noether-test").start();
            PushGatewayClient client = new PushGatewayClient("127.0.0.1:" + deadPort, "again", Map.of(),
                    () -> new byte[0], registry);
            assertThat(client.push()).isFalse();
            assertThat(client.push()).isFalse();
            exporter.close(); // the final push fails too

            assertThat(registry.get("noether.errors").tag("stage", "push").counter().count()).isEqualTo(3.0);
            // one warning per client and outage, not one per push
            assertThat(captured.atLevel(Level.WARNING)).hasSize(2);
            assertThat(CapturedLog.text(captured.atLevel(Level.WARNING).get(0))).contains("127.0.0.1:" + deadPort)
                    .contains("noether_errors_total{stage=\"push\"}");
        } finally {
            registry.close();
        }
    }

    @Test
    void groupingKeyValuesThatAreNotPlainPathSegmentsAreBase64Encoded() {
        Map<String, String> key = new LinkedHashMap<>();
        key.put("run", "2024/01 a");
        key.put("worker", "");
        key.put("rank", "3");
        URI uri = PushGatewayClient.groupUri("http://gw:9091/", "train", key);
        // base64url("2024/01 a") = MjAyNC8wMSBh; "=" is the Pushgateway's spelling of the empty value
        assertThat(uri).hasToString("http://gw:9091/metrics/job/train/run@base64/MjAyNC8wMSBh/worker@base64/=/rank/3");
        assertThat(PushGatewayClient.groupUri("gw:9091", "a b", Map.of())).hasToString("http://gw:9091/metrics/job@base64/YSBi");
    }
}
