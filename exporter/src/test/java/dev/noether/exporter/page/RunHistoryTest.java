package dev.noether.exporter.page;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RunHistoryTest {

    @Test
    void keepsAtMostMaxRecordsOldestEvictedFirst() {
        RunHistory h = RunHistory.replay(3, Long.MAX_VALUE);
        for (int i = 0; i < 5; i++) h.offer(Records.step(i, i).build());
        assertThat(h.all()).extracting(r -> PageJson.step(r.record())).containsExactly(2L, 3L, 4L);
        assertThat(h.counters()).containsEntry("evicted", 2L).containsEntry("kept", 3).containsEntry("firstSeq", 3L)
                .containsEntry("lastSeq", 5L);
        assertThat(h.after(3, 10)).extracting(RunHistory.StoredRecord::seq).containsExactly(4L, 5L);
        assertThat(h.after(0, 1)).extracting(RunHistory.StoredRecord::seq).containsExactly(3L);
    }

    @Test
    void keepsTheJsonWithinMaxBytesCountingEachRecordsSerialisedLength() throws Exception {
        Map<String, Object> one = Records.step(0, 0).metric("loss", 0.5).build();
        int size = PageJson.MAPPER.writeValueAsBytes(withSeq(one, 1)).length;
        RunHistory h = RunHistory.replay(1000, 3L * size + size / 2);
        for (int i = 0; i < 10; i++) h.offer(Records.step(0, 0).metric("loss", 0.5).build());
        assertThat(h.all()).hasSize(3);
        long bytes = (Long) h.counters().get("bytes");
        assertThat(bytes).isLessThanOrEqualTo(3L * size + size / 2).isEqualTo(h.all().stream().mapToLong(r -> r.json().length).sum());
    }

    @Test
    void keepsOnlyTheLatestDetailsOfEachLayerOutsideTheRecords() {
        RunHistory h = RunHistory.replay(100, Long.MAX_VALUE);
        h.offer(Records.analysis(10, 1).layer("fc1", "neurons.dead", 0.0)
                .details(Map.of("layers", Map.of("fc1", Map.of("correlation", Map.of("order", new int[] {1, 0}))))).build());
        h.offer(Records.analysis(20, 2).layer("fc1", "neurons.dead", 0.0)
                .details(Map.of("layers", Map.of("fc1", Map.of("correlation", Map.of("order", List.of(0, 1)))))).build());
        assertThat(h.detail("fc1").step()).isEqualTo(20);
        assertThat(h.detail("fc1").detail().path("correlation").path("order").get(0).asInt()).isZero();
        assertThat(h.all()).allSatisfy(r -> assertThat(r.record()).doesNotContainKey("details"));
        assertThat(new String(h.all().get(0).json())).doesNotContain("correlation");
        assertThat(h.detail("fc2")).isNull();
    }

    @Test
    void aLiveHistoryStoresOnItsOwnThread() throws Exception {
        try (RunHistory h = RunHistory.live(100, Long.MAX_VALUE)) {
            for (int i = 0; i < 50; i++) h.offer(Records.step(i, i).build());
            h.awaitIdle(5000);
            assertThat(h.all()).hasSize(50);
            assertThat(h.dropped()).isZero();
        }
    }

    private static Map<String, Object> withSeq(Map<String, Object> r, long seq) {
        Map<String, Object> m = new java.util.LinkedHashMap<>(r);
        m.put("seq", seq);
        return m;
    }

    @Test
    void queryStringsWithBadEscapesLoseOnlyThatParameter() {
        assertThat(TrainingPage.query("after=12&limit=%zz&name=fc%201")).containsEntry("after", "12")
                .containsEntry("name", "fc 1").doesNotContainKey("limit");
        assertThat(TrainingPage.query(null)).isEmpty();
    }
}
