package dev.noether.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.noether.exporter.page.RunHistory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several workers publishing to one exporter, as the monitors of a Spark executor's partitions or of a
 * ParallelWrapper's replicas do (each through {@code reportListener().forWorker(worker)}): the page keeps each
 * worker's records apart, so each worker's loss line (every record and bucket of it: mean, minimum and maximum)
 * stays within that worker's own losses although the workers' steps interleave, and so does the replay of the
 * exporter's one event log, which carries both workers.
 */
class ManyWorkersLivePageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STEPS = 120;
    private static final int MAX_RECORDS = 10; // buckets after a few dozen steps

    @Test
    void eachWorkersLineHoldsOnlyItsOwnValues(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("executor.jsonl");
        // worker "low" has losses in (0, 1], "high" in (100, 101]: a bucket mixing them would be far from either
        Map<String, double[]> range = Map.of("low", new double[] {0, 1}, "high", new double[] {100, 101});
        try (NoetherExporter exporter = NoetherExporter.builder().port(0).gpuMetrics(false).eventLog(log)
                .pageHistory(MAX_RECORDS, RunHistory.DEFAULT_MAX_BYTES).start()) {
            DeepModel low = new DeepModel(2, 8, 0);
            DeepModel high = new DeepModel(2, 8, 100);
            low.monitor.addListener(exporter.reportListener().forWorker("low"));
            high.monitor.addListener(exporter.reportListener().forWorker("high"));
            try {
                for (long t = 0; t < STEPS; t++) {
                    low.step(t);
                    high.step(t);
                }
            } finally {
                low.monitor.close();
                high.monitor.close();
            }
            URI base = exporter.pageUrl();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (get(base.resolve("api/run")).path("history").path("lanes").path("step").path("records").asLong() < 2 * STEPS
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            JsonNode run = get(base.resolve("api/run"));
            assertThat(run.path("history").path("workers").findValuesAsText("worker")).containsExactlyInAnyOrder("low", "high");
            assertEachLineInItsRange(base, range);
            JsonNode detail = get(base.resolve("api/layer?name=fc0&worker=high"));
            assertThat(detail.path("worker").asText()).isEqualTo("high");
        }
        // the exporter's one log holds both workers' records: its replay keeps them apart the same way
        try (ReplayServer replay = ReplayServer.start(log, "127.0.0.1", 0, MAX_RECORDS, RunHistory.DEFAULT_MAX_BYTES)) {
            assertEachLineInItsRange(replay.url(), range);
        }
    }

    /** Fetches every point as the page does and checks each worker's step line against its range. */
    private static void assertEachLineInItsRange(URI base, Map<String, double[]> range) throws Exception {
        Map<String, List<JsonNode>> lines = new LinkedHashMap<>();
        long rev = 0;
        while (true) {
            JsonNode page = get(base.resolve("api/records?after=" + rev + "&limit=50"));
            for (JsonNode p : page.path("records")) {
                if (p.path("type").asText().equals("step")) lines.computeIfAbsent(p.path("worker").asText(), w -> new ArrayList<>()).add(p);
            }
            if (page.path("records").size() < 50) break;
            rev = page.path("rev").asLong();
        }
        assertThat(lines.keySet()).containsExactlyInAnyOrder("low", "high");
        for (Map.Entry<String, List<JsonNode>> line : lines.entrySet()) {
            double lo = range.get(line.getKey())[0], hi = range.get(line.getKey())[1];
            long records = 0;
            boolean buckets = false;
            for (JsonNode p : line.getValue()) {
                records += p.path("count").asLong(1);
                buckets |= p.has("count");
                for (JsonNode values : List.of(p, p.path("min"), p.path("max"))) {
                    if (values.isMissingNode()) continue;
                    assertThat(values.path("metrics").path("loss").asDouble()).as(line.getKey() + "'s loss near step " + p.path("step"))
                            .isBetween(lo, hi);
                }
            }
            assertThat(buckets).as(line.getKey() + "'s line has buckets of older steps").isTrue();
            assertThat(records).as("each of " + line.getKey() + "'s records in one of its points").isEqualTo(STEPS);
            assertThat(line.getValue().size()).isLessThanOrEqualTo(1 + MAX_RECORDS + Math.max(16, MAX_RECORDS / 2));
        }
    }

    private static JsonNode get(URI uri) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(uri.toString()).isEqualTo(200);
        return JSON.readTree(r.body());
    }
}
