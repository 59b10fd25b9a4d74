package dev.noether.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The training page over real HTTP: live (with and without GPU gauges) and replayed from an event log. */
class TrainingPageHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void servesThePageItsAssetsAndTheLiveRunFromTheSamePortAsMetrics() throws Exception {
        try (NoetherExporter exporter = NoetherExporter.builder().port(0).start()) {
            URI base = exporter.pageUrl();
            HttpResponse<String> page = get(base, "/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v -> assertThat(v).startsWith("default-src 'self'"));
            assertThat(page.body()).contains("<script src=\"echarts.min.js\">", "page.js").doesNotContain("http://", "https://");
            HttpResponse<String> echarts = get(base, "/echarts.min.js");
            assertThat(echarts.statusCode()).isEqualTo(200);
            assertThat(echarts.body()).hasSizeGreaterThan(900_000).contains("echarts");
            assertThat(get(base, "/page.js").body()).contains("api/records");
            assertThat(get(base, "/metrics").statusCode()).isEqualTo(200);

            JsonNode run = JSON.readTree(get(base, "/api/run").body());
            assertThat(run.path("mode").asText()).isEqualTo("live");
            assertThat(run.path("layers").size()).isZero(); // nothing reported yet: the page shows its empty state
            assertThat(run.path("jvm").path("heapUsed").asLong()).isPositive();
            assertThat(run.path("monitor").path("gpus").size()).isZero();
            assertThat(run.path("alerts").size()).isEqualTo(13);
            assertThat(run.path("history").path("maxRecords").asInt()).isEqualTo(dev.noether.exporter.page.RunHistory.DEFAULT_MAX_RECORDS);
            assertThat(run.path("history").path("maxBytes").asLong()).isEqualTo(32L << 20);
            JsonNode records = JSON.readTree(get(base, "/api/records?after=0").body());
            assertThat(records.path("records").size()).isZero();
        }
    }

    @Test
    void showsGpuGaugesWhenTheRegistryHasThem() throws Exception {
        try (NoetherExporter exporter = NoetherExporter.builder().port(0).start()) {
            // Stand-ins for issue 15's GPU meters (this machine has no GPU): same names, tags and units.
            double[] values = {0.42, 3.0e9, 8.0e9, 120.5, 61.0};
            String[] names = {"utilization", "memory.used", "memory.total", "power", "temperature"};
            for (int i = 0; i < names.length; i++) {
                double v = values[i];
                Gauge.builder("noether.gpu." + names[i], () -> v).tag("gpu", "0").register(exporter.registry());
            }
            JsonNode gpu = JSON.readTree(get(exporter.pageUrl(), "/api/run").body()).path("monitor").path("gpus").get(0);
            assertThat(gpu.path("gpu").asText()).isEqualTo("0");
            assertThat(gpu.path("utilization").asDouble()).isEqualTo(0.42);
            assertThat(gpu.path("memoryUsed").asDouble()).isEqualTo(3.0e9);
            assertThat(gpu.path("memoryTotal").asDouble()).isEqualTo(8.0e9);
            assertThat(gpu.path("power").asDouble()).isEqualTo(120.5);
            assertThat(gpu.path("temperature").asDouble()).isEqualTo(61.0);
        }
    }

    @Test
    void getOnly404ForUnknownPathsAndBadQueries() throws Exception {
        try (NoetherExporter exporter = NoetherExporter.builder().port(0).start()) {
            URI base = exporter.pageUrl();
            for (String path : List.of("/", "/api/run", "/api/records", "/echarts.min.js")) {
                for (String method : List.of("POST", "PUT", "DELETE")) {
                    HttpResponse<String> r = send(base, method, path);
                    assertThat(r.statusCode()).as(method + " " + path).isEqualTo(405);
                }
            }
            assertThat(get(base, "/api/nope").statusCode()).isEqualTo(404);
            assertThat(get(base, "/index.html").statusCode()).isEqualTo(404);
            assertThat(get(base, "/api/layer").statusCode()).isEqualTo(400);
            assertThat(get(base, "/api/records?after=abc&limit=-5").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void replaysAHugeModelInPagesAndSurvivesClientsThatHangUp() throws Exception {
        Path log = dir.resolve("huge.jsonl");
        List<String> lines = new ArrayList<>();
        int layers = 250;
        for (int step = 0; step < 100; step += 25) {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("type", "step");
            record.put("model", "huge");
            record.put("step", step);
            record.put("time", 1000.0 + step);
            record.put("metrics", Map.of("loss", 1.0 / (1 + step)));
            Map<String, Object> byLayer = new LinkedHashMap<>();
            for (int l = 0; l < layers; l++) byLayer.put("layer" + l, Map.of("layer.neurons", 16.0, "layer.inputs", 16.0,
                    "layer.weight.norm", 1.0 + l));
            record.put("layers", byLayer);
            record.put("pairs", Map.of());
            lines.add(JSON.writeValueAsString(record));
        }
        Files.write(log, lines);
        try (ReplayServer replay = ReplayServer.start(log, "127.0.0.1", 0, 1000, 1L << 30)) {
            URI base = replay.url();
            JsonNode run = JSON.readTree(get(base, "/api/run").body());
            assertThat(run.path("mode").asText()).isEqualTo("replay");
            assertThat(run.path("layers").size()).isEqualTo(layers);
            assertThat(run.path("replay").path("records").asInt()).isEqualTo(4);
            JsonNode page = JSON.readTree(get(base, "/api/records?after=1&limit=2").body());
            assertThat(page.path("records").size()).isEqualTo(2);
            assertThat(page.path("records").get(0).path("seq").asLong()).isEqualTo(2);
            assertThat(page.path("records").get(0).path("layers").path("layer249").path("layer.weight.norm").asDouble()).isEqualTo(250.0);
            assertThat(get(base, "/metrics").statusCode()).isEqualTo(404); // a replay has no live registry

            for (int i = 0; i < 20; i++) {
                for (String path : List.of("/echarts.min.js", "/api/records")) {
                    try (Socket s = new Socket(base.getHost(), base.getPort())) {
                        OutputStream out = s.getOutputStream();
                        out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        InputStream in = s.getInputStream();
                        in.readNBytes(16); // the status line has come; hang up in the middle of the body
                    }
                }
            }
            assertThat(get(base, "/healthz").body()).isEqualTo("ok\n");
            assertThat(JSON.readTree(get(base, "/api/run").body()).path("layers").size()).isEqualTo(layers);
        }
    }

    /** An attention projection's per-head PAH (METRICS.md §12) reaches the page's layer detail from the event log. */
    @Test
    void theLayerDetailCarriesAnAttentionProjectionsPerHeadFits() throws Exception {
        Path log = dir.resolve("heads.jsonl");
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("type", "step");
        step.put("model", "encoder");
        step.put("step", 10);
        step.put("time", 1000.0);
        step.put("metrics", Map.of("loss", 0.5));
        step.put("layers", Map.of("attn_query", Map.of("layer.neurons", 4.0, "layer.inputs", 4.0)));
        step.put("pairs", Map.of());
        Map<String, Object> analysis = new LinkedHashMap<>(step);
        analysis.put("type", "analysis");
        analysis.put("layers", Map.of("attn_query", Map.of("pah.exponent.b", 1.5)));
        List<Map<String, Object>> heads = List.of(
                Map.of("head", 0, "exponent", 2.0, "r2", 0.9, "log_lambda_g", List.of(-1.0, 0.0), "log_lambda_h", List.of(-2.0, 0.0)),
                Map.of("head", 1, "exponent", 1.0, "r2", 0.8, "log_lambda_g", List.of(-3.0, 1.0), "log_lambda_h", List.of(-3.0, 1.0)));
        analysis.put("details", Map.of("layers", Map.of("attn_query", Map.of("pah", Map.of(
                "b", Map.of("log_lambda_g", List.of(-1.0, 0.0), "log_lambda_h", List.of(-1.0, 0.0)),
                "heads", Map.of("block", "attn", "side", "b", "heads", heads))))));
        Files.write(log, List.of(JSON.writeValueAsString(step), JSON.writeValueAsString(analysis)));
        try (ReplayServer replay = ReplayServer.start(log, "127.0.0.1", 0, 1000, 1L << 30)) {
            JsonNode detail = JSON.readTree(get(replay.url(), "/api/layer?name=attn_query").body());
            assertThat(detail.path("heads").path("block").asText()).isEqualTo("attn");
            assertThat(detail.path("heads").path("heads").size()).isEqualTo(2);
            assertThat(detail.path("heads").path("heads").get(1).path("exponent").asDouble()).isEqualTo(1.0);
            assertThat(detail.path("heads").path("heads").get(0).path("log_lambda_h").get(0).asDouble()).isEqualTo(-2.0);
            assertThat(get(replay.url(), "/").body()).contains("c-heads");
        }
    }

    @Test
    void theUiCommandExplainsBadArguments() {
        var err = new java.io.ByteArrayOutputStream();
        var out = new java.io.ByteArrayOutputStream();
        assertThat(ExporterMain.ui(new String[] {"ui"}, new java.io.PrintStream(out), new java.io.PrintStream(err))).isEqualTo(2);
        assertThat(err.toString()).contains("usage: java -jar noether-exporter.jar ui run.jsonl");
        assertThat(ExporterMain.ui(new String[] {"ui", dir.resolve("absent.jsonl").toString(), "--port", "0"},
                new java.io.PrintStream(out), new java.io.PrintStream(err))).isEqualTo(1);
        assertThat(err.toString()).contains("No event log at");
        assertThat(ExporterMain.ui(new String[] {"ui", "x.jsonl", "--port", "nine"},
                new java.io.PrintStream(out), new java.io.PrintStream(err))).isEqualTo(2);
    }

    private static HttpResponse<String> get(URI base, String path) throws Exception {
        return send(base, "GET", path);
    }

    private static HttpResponse<String> send(URI base, String method, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return ExternalProcess.HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
