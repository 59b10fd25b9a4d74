package dev.noether.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.noether.exporter.page.PageResponse;
import dev.noether.exporter.page.ReplaySource;
import dev.noether.exporter.page.RunHistory;
import dev.noether.exporter.page.TrainingPage;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A run of a million steps (generated reports, {@link SyntheticRun}, not training) through the page's history at
 * its defaults: the memory it keeps, measured on the heap after full garbage collections, stays within the stated
 * bound ({@link RunHistory#DEFAULT_MAX_BYTES}); {@code /api/records} still returns step 0 and the latest step, at
 * most {@code 1 + 1.5 · maxRecords} points per kind (what a chart draws per series), and a step range at a requested
 * resolution whose buckets average the run's own values.
 */
class LongRunPageTest {
    private static final long STEPS = 1_000_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aMillionStepsStayWithinTheMemoryBoundAndStillShowStepZeroAndTheLatest() throws Exception {
        long before = heapAfterGc();
        RunHistory history = RunHistory.replay(RunHistory.DEFAULT_MAX_RECORDS, RunHistory.DEFAULT_MAX_BYTES);
        SyntheticRun.records(STEPS, history::offer);
        long retained = heapAfterGc() - before;
        Reference.reachabilityFence(history);
        TrainingPage page = TrainingPage.replay(history, new ReplaySource("synthetic", 0, 0, 0, null));

        JsonNode counters = json(page.get("/api/run", null)).path("history");
        System.out.printf("10^6 steps: history %.1f MiB counted, %.1f MiB retained on the heap; %s%n",
                counters.path("bytes").asLong() / 1048576.0, retained / 1048576.0, counters.path("lanes"));
        assertThat(counters.path("accepted").asLong()).isEqualTo(STEPS + STEPS / SyntheticRun.EVERY);
        assertThat(counters.path("bytes").asLong()).isLessThanOrEqualTo(RunHistory.DEFAULT_MAX_BYTES);
        assertThat(retained).as("heap retained by the history").isLessThanOrEqualTo(RunHistory.DEFAULT_MAX_BYTES);

        // what the page fetches first: every point of both kinds, from step 0 to the latest
        int bound = counters.path("maxPointsPerSeries").asInt();
        assertThat(bound).isEqualTo(1 + RunHistory.DEFAULT_MAX_RECORDS + RunHistory.DEFAULT_MAX_RECORDS / 2);
        List<JsonNode> steps = new ArrayList<>();
        List<JsonNode> analyses = new ArrayList<>();
        long rev = 0;
        while (true) {
            JsonNode changes = json(page.get("/api/records", "after=" + rev + "&epoch=" + counters.path("epoch").asLong()));
            for (JsonNode r : changes.path("records")) (r.path("type").asText().equals("step") ? steps : analyses).add(r);
            if (changes.path("records").size() < 5000) break;
            rev = changes.path("rev").asLong();
        }
        steps.sort((a, b) -> Long.compare(a.path("seq").asLong(), b.path("seq").asLong()));
        assertThat(steps.size()).as("points a chart draws per series").isLessThanOrEqualTo(bound).isGreaterThan(bound / 2);
        assertThat(analyses.size()).isLessThanOrEqualTo(bound);
        assertThat(steps.get(0).path("step").asLong()).isZero();
        assertThat(steps.get(steps.size() - 1).path("step").asLong()).isEqualTo(STEPS - 1);
        assertThat(steps.get(steps.size() - 1).path("count").isMissingNode()).as("the latest at full resolution").isTrue();
        long records = 0;
        for (JsonNode p : steps) records += p.path("count").asLong(1);
        assertThat(records).isEqualTo(STEPS);

        // a step range at a requested resolution
        JsonNode range = json(page.get("/api/records", "from=0&to=" + (STEPS - 1) + "&points=500&type=step")).path("records");
        assertThat(range.size()).isLessThanOrEqualTo(500).isGreaterThan(250);
        assertThat(range.get(0).path("step").asLong()).isZero();
        assertThat(range.get(range.size() - 1).path("step").asLong()).isEqualTo(STEPS - 1);
        long inRange = 0;
        for (JsonNode p : range) {
            inRange += p.path("count").asLong(1);
            if (p.has("count")) {
                // loss(s) = 1 / (1 + s/1000): the bucket's mean and extremes are those of its steps
                long a = p.path("stepFirst").asLong(), b = p.path("stepLast").asLong();
                double sum = 0;
                for (long s = a; s <= b; s++) sum += SyntheticRun.loss(s);
                assertThat(p.path("metrics").path("loss").asDouble()).isCloseTo(sum / (b - a + 1), within(1e-9));
                assertThat(p.path("min").path("metrics").path("loss").asDouble()).isEqualTo(SyntheticRun.loss(b));
                assertThat(p.path("max").path("metrics").path("loss").asDouble()).isEqualTo(SyntheticRun.loss(a));
            }
        }
        assertThat(inRange).isEqualTo(STEPS);
        JsonNode zoom = json(page.get("/api/records", "from=" + (STEPS - 100) + "&to=" + (STEPS - 1) + "&points=500&type=step"));
        assertThat(zoom.path("records")).hasSize(100).allSatisfy(p -> assertThat(p.has("count")).isFalse());

        // the layer detail: histograms over the whole run, within their bound
        JsonNode layer = json(page.get("/api/layer", "name=01Linear"));
        JsonNode weights = layer.path("histograms").path("weights");
        assertThat(weights.path("steps").get(0).asLong()).isEqualTo(1);
        assertThat(weights.path("steps").size()).isBetween(16, 256);
        assertThat(weights.path("steps").get(weights.path("steps").size() - 1).asLong()).isEqualTo(STEPS - SyntheticRun.EVERY + 1);
    }

    private static JsonNode json(PageResponse r) throws Exception {
        assertThat(r.status()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** Heap in use after full collections: the live objects, as near as the JVM tells. */
    private static long heapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(20);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
