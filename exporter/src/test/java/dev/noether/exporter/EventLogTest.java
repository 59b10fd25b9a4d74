package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {
    @TempDir
    Path dir;

    private static Map<String, Object> step(long step) {
        return Map.of("type", "step", "step", step, "loss", 1.0 / (step + 1), "charges", new double[] {step, -step});
    }

    @Test
    void writesOneLinePerRecordAndReadsThemBack() throws Exception {
        Path path = dir.resolve("run.jsonl");
        try (EventLog log = EventLog.open(path)) {
            for (long i = 0; i < 100; i++) assertThat(log.append(step(i))).isTrue();
        }

        List<String> lines = Files.readAllLines(path);
        assertThat(lines).hasSize(100);
        List<Map<String, Object>> records = EventLogReader.readAll(path);
        assertThat(records).hasSize(100);
        for (int i = 0; i < 100; i++) {
            Map<String, Object> r = records.get(i);
            assertThat(r.get("step")).isEqualTo((long) i);
            assertThat((Double) r.get("loss")).isEqualTo(1.0 / (i + 1));
            assertThat(r.get("charges")).isEqualTo(List.of((double) i, (double) -i));
        }
    }

    @Test
    void rotatesBySizeKeepingMaxFilesAndReadsInWritingOrder() throws Exception {
        Path path = dir.resolve("run.jsonl");
        // each record is the same length: {"step":<3 digits>,"pad":"xxxxxxxxxx"}\n = 32 bytes, 2 per file of 80 bytes
        EventLogOptions options = EventLogOptions.builder().maxBytesPerFile(80).maxFiles(3).build();
        try (EventLog log = EventLog.open(path, options)) {
            for (long i = 100; i < 110; i++) log.append(Map.of("step", i, "pad", "xxxxxxxxxx"));
        }
        int lineLength = "{\"step\":100,\"pad\":\"xxxxxxxxxx\"}\n".length();
        assertThat(lineLength).isEqualTo(32);

        // 10 records, 2 per file: run.4 and older were deleted; run.2 holds 104-105, run.1 106-107, run 108-109
        assertThat(LogFiles.inWritingOrder(path)).containsExactly(dir.resolve("run.2.jsonl"), dir.resolve("run.1.jsonl"), path);
        assertThat(Files.size(path)).isEqualTo(2L * lineLength);
        assertThat(EventLogReader.readAll(path)).extracting(r -> r.get("step")).containsExactly(104L, 105L, 106L, 107L, 108L, 109L);
    }

    @Test
    void aRecordLargerThanAFileGetsAFileOfItsOwn() throws Exception {
        Path path = dir.resolve("big.jsonl");
        try (EventLog log = EventLog.open(path, EventLogOptions.builder().maxBytesPerFile(10).maxFiles(5).build())) {
            log.append(Map.of("a", 1));
            log.append(Map.of("pad", "more than ten bytes"));
        }
        assertThat(Files.readString(dir.resolve("big.1.jsonl"))).isEqualTo("{\"a\":1}\n");
        assertThat(Files.readString(path)).isEqualTo("{\"pad\":\"more than ten bytes\"}\n");
    }

    @Test
    void theReaderSkipsACutShortLastLineButNotCorruptionInTheMiddle() throws Exception {
        Path path = dir.resolve("killed.jsonl");
        Files.writeString(path, "{\"step\":1}\n{\"step\":2}\n{\"step\":3,\"charges\":[0.1,0.");
        assertThat(EventLogReader.readAll(path)).extracting(r -> r.get("step")).containsExactly(1L, 2L);

        Files.writeString(path, "{\"step\":1}\n{\"step\":2,\n{\"step\":3}\n");
        assertThatThrownBy(() -> EventLogReader.readAll(path)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("killed.jsonl:2");
    }

    @Test
    void reopeningALogCutsOffTheFragmentOfAKilledRunAndAppends() throws Exception {
        Path path = dir.resolve("resumed.jsonl");
        Files.writeString(path, "{\"step\":1}\n{\"step\":2}\n{\"step\":3,\"cha");
        try (EventLog log = EventLog.open(path)) {
            log.append(Map.of("step", 3L));
        }
        assertThat(Files.readString(path)).isEqualTo("{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n");
    }

    @Test
    void anUnwritablePathWarnsOnceCountsEveryLostRecordAndNeverThrows() throws Exception {
        Path regularFile = Files.writeString(dir.resolve("not-a-directory"), "x");
        Path path = regularFile.resolve("logs").resolve("run.jsonl"); // root cannot write here either
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        EventLog log;
        try (CapturedLog captured = new CapturedLog(EventLog.class)) {
            log = EventLog.open(path, EventLogOptions.builder().registry(registry).build());
            for (long i = 0; i < 25; i++) log.append(step(i));
            log.close();

            assertThat(captured.atLevel(Level.WARNING)).hasSize(1);
            assertThat(CapturedLog.text(captured.atLevel(Level.WARNING).get(0)))
                    .contains(path.toString()).contains("cannot be written").contains("noether_errors_total{stage=\"eventlog\"}");
        }
        assertThat(log.lostRecords()).isEqualTo(25);
        assertThat(log.writtenRecords()).isZero();
        assertThat(registry.get("noether.errors").tag("stage", "eventlog").counter().count()).isEqualTo(25.0);
    }

    @Test
    void aFullDiskIsCountedAndTheLogKeepsTrying() throws Exception {
        Path full = Path.of("/dev/full"); // every write fails with ENOSPC
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(full), "/dev/full is missing");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (CapturedLog captured = new CapturedLog(EventLog.class)) {
            EventLog log = EventLog.open(full, EventLogOptions.builder().registry(registry).build());
            for (long i = 0; i < 10; i++) log.append(step(i));
            log.close();
            assertThat(captured.atLevel(Level.WARNING)).hasSize(1);
            assertThat(CapturedLog.text(captured.atLevel(Level.WARNING).get(0))).contains("No space left on device");
        }
        assertThat(registry.get("noether.errors").tag("stage", "eventlog").counter().count()).isEqualTo(10.0);
    }

    @Test
    void aFullQueueDropsInsteadOfBlockingAndEveryRecordIsAccountedFor() throws Exception {
        Path path = dir.resolve("burst.jsonl");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        int accepted = 0;
        int n = 20_000;
        double[] charges = new double[256];
        EventLog log = EventLog.open(path, EventLogOptions.builder().queueCapacity(4).registry(registry).build());
        for (long i = 0; i < n; i++) {
            if (log.append(Map.of("step", i, "charges", charges))) accepted++;
        }
        log.close();

        List<Map<String, Object>> records = EventLogReader.readAll(path);
        assertThat(records).hasSize(accepted);
        assertThat(log.writtenRecords()).isEqualTo(accepted);
        assertThat(log.lostRecords()).isEqualTo(n - accepted).isPositive(); // 20k records outrun a queue of 4
        assertThat(registry.get("noether.errors").tag("stage", "eventlog").counter().count()).isEqualTo(n - accepted);
        // what was written is in order
        List<Long> steps = new ArrayList<>();
        records.forEach(r -> steps.add((Long) r.get("step")));
        assertThat(steps).isSorted();
    }

    @Test
    void appendAfterCloseIsDroppedNotThrown() {
        EventLog log = EventLog.open(dir.resolve("closed.jsonl"));
        log.close();
        assertThat(log.append(step(1))).isFalse();
        assertThat(log.lostRecords()).isEqualTo(1);
    }

    @Test
    void nonAsciiTextIsUtf8() throws Exception {
        Path path = dir.resolve("utf8.jsonl");
        try (EventLog log = EventLog.open(path)) {
            log.append(Map.of("layer", "Schicht\u00e4\u2192"));
        }
        assertThat(new String(Files.readAllBytes(path), StandardCharsets.UTF_8)).isEqualTo("{\"layer\":\"Schicht\u00e4\u2192\"}\n");
    }
}
