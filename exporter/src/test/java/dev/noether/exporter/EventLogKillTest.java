package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run killed with SIGKILL leaves a log that parses up to its last complete line. */
class EventLogKillTest {
    @TempDir
    Path dir;

    @Test
    void everyCompleteLineSurvivesKillMinus9() throws Exception {
        Path path = dir.resolve("run.jsonl");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), EventLogChild.class.getName(),
                path.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("child.out").toFile()).start();
        long observed;
        try {
            observed = awaitCompleteLines(path, 100, child);
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no close(), no flush
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(child.exitValue()).isEqualTo(137); // 128 + SIGKILL

        List<Map<String, Object>> records = EventLogReader.readAll(path);

        assertThat((long) records.size()).isGreaterThanOrEqualTo(observed);
        for (int i = 0; i < records.size(); i++) {
            assertThat(records.get(i).get("step")).isEqualTo((long) i); // whole, in order, none lost before the kill
            assertThat((List<?>) records.get(i).get("charges")).hasSize(512);
        }
        long newlines = countNewlines(path);
        assertThat((long) records.size()).isEqualTo(newlines); // every complete line parsed, nothing more
    }

    private static long awaitCompleteLines(Path path, long wanted, Process child) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!child.isAlive()) throw new AssertionError("the child JVM exited early with " + child.exitValue());
            long lines = Files.exists(path) ? countNewlines(path) : 0;
            if (lines >= wanted) return lines;
            Thread.sleep(20);
        }
        throw new AssertionError("the child wrote fewer than " + wanted + " lines in 30 s");
    }

    private static long countNewlines(Path path) throws Exception {
        byte[] bytes = Files.readAllBytes(path);
        long n = 0;
        for (byte b : bytes) if (b == '\n') n++;
        return n;
    }
}
