package dev.noether.exporter.page;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RunHistoryTest {

    @Test
    void keepsTheFirstRecordTheLatestAtFullResolutionAndEvenBucketsOfEveryRecordInBetween() {
        RunHistory h = RunHistory.replay(10, Long.MAX_VALUE);
        for (int step = 0; step < 1000; step++) {
            h.offer(Records.step(step, 1000 + step).metric("loss", (double) step).build());
        }
        List<Map<String, Object>> points = h.records("step");
        assertThat(points.size()).isLessThanOrEqualTo(1 + 10 + 16);
        assertThat(points.get(0)).containsEntry("step", 0L).doesNotContainKey("count");
        List<Long> tail = new ArrayList<>();
        for (Map<String, Object> p : points.subList(points.size() - 10, points.size())) tail.add(PageJson.step(p));
        assertThat(tail).containsExactly(990L, 991L, 992L, 993L, 994L, 995L, 996L, 997L, 998L, 999L);
        // every record in exactly one point, in order; a bucket's loss statistics are those of its steps
        long next = 0;
        long widest = 0;
        for (Map<String, Object> p : points) {
            long first = p.containsKey("count") ? ((Number) p.get("stepFirst")).longValue() : PageJson.step(p);
            long last = p.containsKey("count") ? ((Number) p.get("stepLast")).longValue() : PageJson.step(p);
            assertThat(first).isEqualTo(next);
            next = last + 1;
            if (p.containsKey("count")) {
                assertThat(((Number) p.get("count")).longValue()).isEqualTo(last - first + 1);
                assertThat(PageJson.number(PageJson.section(p, "metrics"), "loss")).isCloseTo((first + last) / 2.0, within(1e-9));
                assertThat(PageJson.number(PageJson.section(section(p, "min"), "metrics"), "loss")).isEqualTo(first);
                assertThat(PageJson.number(PageJson.section(section(p, "max"), "metrics"), "loss")).isEqualTo(last);
                assertThat((Double) p.get("step")).isCloseTo((first + last) / 2.0, within(1e-9));
                assertThat((Double) p.get("time")).isCloseTo(1000 + (first + last) / 2.0, within(1e-9));
                widest = Math.max(widest, last - first + 1);
            }
        }
        assertThat(next).isEqualTo(1000);
        assertThat(widest).as("989 records in 8 to 16 buckets").isBetween(64L, 128L);
        assertThat(h.counters()).containsEntry("accepted", 1000L).containsEntry("lastSeq", 1000L);
    }

    @Test
    void aBucketAveragesEachValueOverTheRecordsThatCarryItAndKeepsTheLatestString() {
        RunHistory h = RunHistory.replay(1, Long.MAX_VALUE);
        h.offer(Records.analysis(0, 0).layer("fc1", "crh.phase", "none").build());
        h.offer(Records.analysis(10, 1).layer("fc1", "neurons.dead", 2.0).layer("fc1", "crh.phase", "none").build());
        h.offer(Records.analysis(20, 2).layer("fc1", "crh.phase", "5").build());
        h.offer(Records.analysis(30, 3).layer("fc1", "neurons.dead", 4.0).layer("fc1", "crh.phase", "crh").build());
        h.offer(Records.analysis(40, 4).build());
        // three points at most: the first and the last stay, 10 to 30 become one bucket
        List<Map<String, Object>> points = h.range(0, Long.MAX_VALUE, 3, "analysis");
        assertThat(points).hasSize(3);
        Map<String, Object> bucket = points.get(1);
        assertThat(bucket).containsEntry("count", 3).containsEntry("stepFirst", 10L).containsEntry("stepLast", 30L);
        Map<String, Object> fc1 = section(PageJson.section(bucket, "layers"), "fc1");
        assertThat(fc1).containsEntry("neurons.dead", 3.0).containsEntry("crh.phase", "crh");
        assertThat(section(section(section(bucket, "min"), "layers"), "fc1")).containsEntry("neurons.dead", 2.0)
                .doesNotContainKey("crh.phase");
    }

    /**
     * The page's polls: points changed since its last revision, everything again after a compaction (a new epoch).
     * A client that merges what it gets by sequence range, as page.js does, holds exactly the history's points.
     */
    @Test
    void aClientThatMergesTheChangesByTheirSequenceRangesHoldsExactlyTheHistory() {
        RunHistory h = RunHistory.replay(20, Long.MAX_VALUE);
        Map<String, TreeMap<Long, Map<String, Object>>> client = new HashMap<>();
        long rev = 0;
        long epoch = -1;
        int resets = 0;
        Random random = new Random(3);
        for (int step = 0; step < 3000; step++) {
            h.offer(Records.step(step, step).metric("loss", random.nextDouble()).build());
            if (step % 7 == 0) h.offer(Records.analysis(step, step).layer("fc1", "neurons.dead", 1.0).build());
            if (random.nextInt(10) == 0) {
                while (true) {
                    boolean reset = epoch >= 0 && epoch != h.epoch();
                    RunHistory.Changes page = h.changedSince(reset ? 0 : rev, 50);
                    if (reset) {
                        client.clear();
                        resets++;
                    }
                    epoch = page.epoch();
                    for (Map<String, Object> p : page.records()) merge(client, p);
                    rev = page.rev();
                    if (page.records().size() < 50) break;
                }
                for (String type : List.of("step", "analysis")) {
                    List<Long> held = new ArrayList<>(client.getOrDefault(type, new TreeMap<>()).keySet());
                    List<Long> server = new ArrayList<>();
                    for (Map<String, Object> p : h.records(type)) server.add(((Number) p.get("seq")).longValue());
                    assertThat(held).as(type + " at step " + step).isEqualTo(server);
                }
            }
        }
        assertThat(resets).as("compactions made the client start over").isPositive();
    }

    private static void merge(Map<String, TreeMap<Long, Map<String, Object>>> client, Map<String, Object> point) {
        TreeMap<Long, Map<String, Object>> lane = client.computeIfAbsent((String) point.get("type"), t -> new TreeMap<>());
        long last = ((Number) point.get("seq")).longValue();
        long first = point.containsKey("seqFirst") ? ((Number) point.get("seqFirst")).longValue() : last;
        // the point replaces what it covers: the records it absorbed and its own older version (keys: last seq)
        lane.subMap(first, true, last, true).clear();
        lane.put(last, point);
    }

    @Test
    void aRangeAtARequestedResolutionKeepsItsEndsAndMergesTheRestEvenly() {
        RunHistory h = RunHistory.replay(2000, Long.MAX_VALUE);
        for (int step = 0; step < 5000; step++) {
            h.offer(Records.step(step, step).metric("loss", (double) step).build());
        }
        List<Map<String, Object>> range = h.range(0, Long.MAX_VALUE, 100, "step");
        assertThat(range.size()).isLessThanOrEqualTo(100);
        assertThat(PageJson.step(range.get(0))).isZero();
        assertThat(PageJson.step(range.get(range.size() - 1))).isEqualTo(4999);
        long records = 0;
        for (Map<String, Object> p : range) records += p.containsKey("count") ? ((Number) p.get("count")).longValue() : 1;
        assertThat(records).isEqualTo(5000);
        List<Map<String, Object>> zoom = h.range(4900, 4950, 100, "step");
        assertThat(zoom).hasSize(51).allSatisfy(p -> assertThat(p).doesNotContainKey("count"));
    }

    @Test
    void staysWithinItsBytesByKeepingFewerRecordsAndBucketsForALargeModel() {
        long maxBytes = 2L << 20;
        RunHistory h = RunHistory.replay(2000, maxBytes);
        for (int step = 0; step < 5000; step++) {
            Records r = Records.step(step, step).metric("loss", 1.0 / (1 + step));
            for (int l = 0; l < 60; l++) {
                r.layer("dense" + l, "layer.weight.norm", 1.0 + l).layer("dense" + l, "layer.update.ratio", 1e-3);
            }
            h.offer(r.build());
        }
        assertThat(h.bytes()).isLessThanOrEqualTo(maxBytes);
        Map<String, Object> steps = section(section(h.counters(), "lanes"), "step");
        assertThat(((Number) steps.get("maxRecent")).intValue()).isLessThan(2000).isGreaterThanOrEqualTo(RunHistory.MIN_RECENT);
        List<Map<String, Object>> points = h.records("step");
        assertThat(PageJson.step(points.get(0))).isZero();
        assertThat(PageJson.step(points.get(points.size() - 1))).isEqualTo(4999);
    }

    @Test
    void keepsOnlyTheLatestDetailsOfEachLayerOutsideTheRecords() {
        RunHistory h = RunHistory.replay(100, Long.MAX_VALUE);
        h.offer(Records.analysis(10, 1).layer("fc1", "neurons.dead", 0.0)
                .details(Map.of("layers", Map.of("fc1", Map.of("correlation", Map.of("order", new int[] {1, 0}))))).build());
        h.offer(Records.analysis(20, 2).layer("fc1", "neurons.dead", 0.0)
                .details(Map.of("layers", Map.of("fc1", Map.of("correlation", Map.of("order", List.of(0, 1)))))).build());
        assertThat(h.detail("fc1").step()).isEqualTo(20);
        assertThat(h.detail("fc1").tree().path("correlation").path("order").get(0).asInt()).isZero();
        assertThat(h.records("analysis")).allSatisfy(r -> assertThat(r).doesNotContainKey("details"));
        assertThat(h.detail("fc2")).isNull();
    }

    @Test
    void histogramsAndTheModelDescriptionOfStepRecordsGoToTheirOwnStores() {
        RunHistory h = RunHistory.replay(100, Long.MAX_VALUE);
        Map<String, Object> weights = Map.of("count", 4, "min", -1.0, "max", 1.0, "mean", 0.0, "bins", new int[] {1, 2, 0, 1});
        h.offer(Records.step(5, 1).layer("fc1", "layer.weight.norm", 1.0).details(Map.of(
                "histograms", Map.of("fc1", Map.of("weights", weights)),
                "model", Map.of("optimizer", "sgd(η=0.1)", "layers", Map.of("fc1", Map.of("kind", "conv2d",
                        "activation", "relu", "shape", "16x6x5x5"))))).build());
        assertThat(h.histograms("fc1", "weights")).singleElement().satisfies(s -> {
            assertThat(s.step()).isEqualTo(5);
            assertThat(s.bins()).containsExactly(1, 2, 0, 1);
        });
        ModelTable t = h.modelTable();
        assertThat(t.optimizer()).isEqualTo("sgd(η=0.1)");
        assertThat(t.layers().get(0)).containsEntry("kind", "conv2d").containsEntry("activation", "relu")
                .containsEntry("shape", "16 × 6 × 5 × 5");
    }

    @Test
    void aLiveHistoryStoresOnItsOwnThread() throws Exception {
        try (RunHistory h = RunHistory.live(100, Long.MAX_VALUE)) {
            for (int i = 0; i < 50; i++) h.offer(Records.step(i, i).build());
            h.awaitIdle(5000);
            assertThat(h.records("step")).hasSize(50);
            assertThat(h.dropped()).isZero();
        }
    }

    @Test
    void queryStringsWithBadEscapesLoseOnlyThatParameter() {
        assertThat(TrainingPage.query("after=12&limit=%zz&name=fc%201")).containsEntry("after", "12")
                .containsEntry("name", "fc 1").doesNotContainKey("limit");
        assertThat(TrainingPage.query(null)).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> m, String key) {
        return (Map<String, Object>) m.get(key);
    }
}
