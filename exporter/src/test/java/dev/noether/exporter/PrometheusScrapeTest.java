package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real Prometheus (Debian package `prometheus`) scrapes the exporter. */
class PrometheusScrapeTest {
    @TempDir
    Path dir;

    @Test
    void prometheusScrapesTheEndpoint() throws Exception {
        try (NoetherExporter exporter = NoetherExporter.builder().port(0).commonTags("run", "r1", "worker", "0").start()) {
            RepresentativeMeters.register(exporter.registry());
            int port = ExternalProcess.freePort();
            Path config = Files.writeString(dir.resolve("prometheus.yml"), ""
                    + "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    + "scrape_configs:\n  - job_name: noether\n    static_configs:\n"
                    + "      - targets: ['127.0.0.1:" + exporter.url().getPort() + "']\n");
            String base = "http://127.0.0.1:" + port;
            try (ExternalProcess prometheus = ExternalProcess.start(List.of("prometheus",
                    "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn"), dir.resolve("prometheus.log"))) {

                String up = prometheus.awaitBody(base + "/api/v1/query?query=" + encode("up{job=\"noether\"}"),
                        body -> !results(body).isEmpty(), Duration.ofSeconds(30));
                assertThat(value(results(up).get(0))).as(up).isEqualTo("1");

                String steps = prometheus.awaitBody(base + "/api/v1/query?query=" + encode("noether_steps_total"),
                        body -> !results(body).isEmpty(), Duration.ofSeconds(30));
                Map<?, ?> series = results(steps).get(0);
                @SuppressWarnings("unchecked")
                Map<String, Object> labels = (Map<String, Object>) series.get("metric");
                assertThat(labels).containsEntry("run", "r1").containsEntry("worker", "0")
                        .containsEntry("model", "mlp").containsEntry("job", "noether");
                assertThat(value(series)).isEqualTo(Long.toString(RepresentativeMeters.STEPS));

                // every sample of the scrape was ingested: none rejected for a bad name or value
                String drift = prometheus.awaitBody(base + "/api/v1/query?query="
                        + encode("noether_charge_drift{pair=\"l1:l2\",symmetry=\"rescaling\"}"),
                        body -> !results(body).isEmpty(), Duration.ofSeconds(30));
                assertThat(value(results(drift).get(0))).isEqualTo("0.015");
            }
        }
    }

    private static String encode(String promql) {
        return URLEncoder.encode(promql, StandardCharsets.UTF_8);
    }

    /** data.result of a Prometheus instant-query answer. */
    @SuppressWarnings("unchecked")
    private static List<Map<?, ?>> results(String body) {
        Map<?, ?> answer = (Map<?, ?>) EventLogJson.parse(body);
        assertThat(answer.get("status")).as(body).isEqualTo("success");
        return (List<Map<?, ?>>) ((Map<?, ?>) answer.get("data")).get("result");
    }

    private static String value(Map<?, ?> series) {
        return (String) ((List<?>) series.get("value")).get(1); // [timestamp, "value"]
    }
}
