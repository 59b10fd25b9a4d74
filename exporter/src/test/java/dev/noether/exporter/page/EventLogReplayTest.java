package dev.noether.exporter.page;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EventLogReplayTest {

    @Test
    void skipsAndCountsBadLinesAndShowsTheRest(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("run.jsonl");
        byte[] garbage = {(byte) 0xff, (byte) 0xfe, 0x00, '\n'};
        Files.writeString(log, """
                {"type":"step","model":"m","step":0,"time":1.0,"metrics":{"loss":1.5},"layers":{},"pairs":{}}
                {"type":"step","step":
                [1, 2, 3]
                not json at all

                {"type":"step","model":"m","step":25,"time":2.0,"metrics":{"loss":"NaN"},"layers":{},"pairs":{}}
                """, StandardCharsets.UTF_8);
        Files.write(log, garbage, java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(log, "{\"type\":\"analysis\",\"mod", java.nio.file.StandardOpenOption.APPEND);
        RunHistory h = RunHistory.replay(100, Long.MAX_VALUE);
        ReplaySource s = EventLogReplay.read(List.of(log), h);
        assertThat(s.records()).isEqualTo(2);
        assertThat(s.skippedLines()).isEqualTo(5);
        assertThat(s.firstSkipped()).isEqualTo("run.jsonl:2");
        assertThat(h.records("step")).extracting(PageJson::step).containsExactly(0L, 25L);
        // NaN in the log is the string "NaN": the page reads it as "not a number", never as a value.
        assertThat(PageJson.number(PageJson.section(h.records("step").get(1), "metrics"), "loss")).isNaN();
    }

    /** A replayed line, parsed flat, is stored exactly as the same record handed over as a map (a live report). */
    @Test
    void aLineParsedFlatIsStoredAsTheSameRecordAsAMap(@TempDir Path dir) throws Exception {
        List<String> lines = List.of(
                "{\"type\":\"step\",\"model\":\"m\",\"step\":0,\"time\":1.5,\"worker\":\"w1\",\"metrics\":{\"loss\":2.5,\"learning.rate\":0.1},"
                        + "\"layers\":{\"fc1\":{\"layer.neurons\":4.0,\"layer.inputs\":3,\"layer.weight.norm\":1.25,\"kind\":\"dense\",\"ok\":true,"
                        + "\"shape\":[4,3],\"deep\":{\"x\":1}},\"empty\":{}},\"pairs\":{\"fc1:fc2\":{\"symmetry\":\"rescaling\",\"charge\":\"NaN\"}},"
                        + "\"seq\":99,\"details\":{\"model\":{\"optimizer\":\"sgd(η=0.1)\"}}}",
                "{\"type\":\"analysis\",\"model\":\"m\",\"step\":0,\"time\":2.0,\"layers\":{\"fc1\":{\"crh.phase\":\"5\",\"neurons.dead\":1}}}",
                "{\"type\":\"step\",\"model\":\"m\",\"step\":1,\"time\":3.0,\"metrics\":{\"loss\":1.5},\"layers\":{\"fc1\":{\"layer.weight.norm\":1.5}}}");
        Path log = dir.resolve("same.jsonl");
        Files.write(log, lines);
        RunHistory flat = RunHistory.replay(100, Long.MAX_VALUE);
        EventLogReplay.read(List.of(log), flat);
        RunHistory maps = RunHistory.replay(100, Long.MAX_VALUE);
        for (String line : lines) {
            maps.offer(PageJson.MAPPER.readValue(line, new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, Object>>() {}));
        }
        for (String type : List.of("step", "analysis")) {
            assertThat(flat.records(type)).as(type).isEqualTo(maps.records(type)).isNotEmpty();
        }
        assertThat(flat.records("step").get(0)).containsEntry("worker", "w1").doesNotContainKey("details");
        assertThat(flat.modelTable()).isEqualTo(maps.modelTable());
        assertThat(flat.modelTable().layers()).extracting(l -> l.get("name")).containsExactly("fc1", "empty");
        assertThat(flat.modelTable().optimizer()).isEqualTo("sgd(η=0.1)");
    }

    @Test
    void anOlderVersionsRecordsWithoutSectionsStillLoad(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("old.jsonl");
        // The first event-log format: flat records, no model, no pairs.
        Files.writeString(log, "{\"type\":\"step\",\"step\":1200,\"time\":1.7329e9,\"loss\":0.412,"
                + "\"layers\":{\"fc1\":{\"weight_norm\":12.3}},\"charges\":[0.51,-0.02]}\n");
        RunHistory h = RunHistory.replay(100, Long.MAX_VALUE);
        assertThat(EventLogReplay.read(List.of(log), h).records()).isEqualTo(1);
        ModelTable t = ModelTable.of(List.of(h.records("step").get(0)));
        assertThat(t.layers()).extracting(l -> l.get("name")).containsExactly("fc1");
        assertThat(t.pairs()).isEmpty();
        assertThat(AlertConditions.evaluate(List.of(h.records("step").get(0)), 1.7329e9, null)).hasSize(AlertConditions.RULES.size());
    }
}
