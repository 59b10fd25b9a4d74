package dev.noether.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.noether.core.worker.WorkerIdentity;
import io.micrometer.core.instrument.FunctionCounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code targets=<dir>} file_sd file: its content, its rewrite when models appear, removal and staleness. */
class TargetFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writesTheTargetWithRunWorkerAndModelAndRemovesItAtClose(@TempDir Path dir) throws Exception {
        Path file;
        try (NoetherExporter exporter = NoetherExporter.builder().port(0).gpuMetrics(false).run("r1")
                .targets(dir).start()) {
            file = exporter.targetFile().orElseThrow();
            assertThat(file.getParent()).isEqualTo(dir);
            JsonNode group = JSON.readTree(file.toFile()).get(0);
            String hostPort = exporter.url().getHost() + ":" + exporter.url().getPort();
            assertThat(group.get("targets").get(0).asText()).isEqualTo(hostPort);
            assertThat(group.get("labels").get("run").asText()).isEqualTo("r1");
            assertThat(group.get("labels").get("worker").asText()).as("the default worker")
                    .isEqualTo(WorkerIdentity.process());
            assertThat(group.get("labels").has("model")).as("no model yet").isFalse();
            assertThat(exporter.registry().scrape()).doesNotContain("worker=\"\"");

            FunctionCounter.builder("noether.steps", this, x -> 1).tag("model", "mlp").register(exporter.registry());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!JSON.readTree(file.toFile()).get(0).get("labels").has("model") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(JSON.readTree(file.toFile()).get(0).get("labels").get("model").asText()).isEqualTo("mlp");
            assertThat(exporter.registry().scrape()).contains("run=\"r1\"").contains("worker=\"" + WorkerIdentity.process() + "\"");
            try (var hidden = Files.list(dir)) {
                assertThat(hidden.filter(p -> p.getFileName().toString().endsWith(".tmp"))).as("no temporary file left").isEmpty();
            }
        }
        assertThat(file).as("removed at clean exit").doesNotExist();
    }

    @Test
    void aDeadProcessesFileIsStaleAndSweptALiveOnesIsNot(@TempDir Path dir) throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor(30, TimeUnit.SECONDS);
        Path dead = fake(dir, "noether-dead-1.json", gone.pid(), WorkerIdentity.host());
        Path alive = fake(dir, "noether-alive-2.json", ProcessHandle.current().pid(), WorkerIdentity.host());
        Path otherHost = fake(dir, "noether-remote-3.json", 1, "some-other-host");
        Path silent = fake(dir, "noether-silent-4.json", 1, "some-other-host");
        Files.setLastModifiedTime(silent, FileTime.from(Instant.now().minus(TargetFile.STALE_AFTER).minusSeconds(1)));
        Path unrelated = Files.writeString(dir.resolve("other.json"), "[]");

        Instant now = Instant.now();
        assertThat(TargetFile.isStale(dead, now)).as("same host, process gone").isTrue();
        assertThat(TargetFile.isStale(alive, now)).as("same host, process alive").isFalse();
        assertThat(TargetFile.isStale(otherHost, now)).as("another host, fresh heartbeat").isFalse();
        assertThat(TargetFile.isStale(silent, now)).as("another host, heartbeat too old").isTrue();

        try (NoetherExporter exporter = NoetherExporter.builder().port(0).gpuMetrics(false).run("r1").worker("w1")
                .targets(dir).start()) {
            assertThat(dead).as("swept at start").doesNotExist();
            assertThat(silent).as("swept at start").doesNotExist();
            assertThat(alive).exists();
            assertThat(otherHost).exists();
            assertThat(unrelated).as("not a Noether file").exists();
            assertThat(exporter.targetFile().orElseThrow().getFileName().toString()).startsWith("noether-w1-");
        }
    }

    private static Path fake(Path dir, String name, long pid, String host) throws Exception {
        return Files.writeString(dir.resolve(name), "[{\"targets\":[\"127.0.0.1:1\"],\"labels\":{\"worker\":\"x\","
                + "\"__meta_noether_host\":\"" + host + "\",\"__meta_noether_pid\":\"" + pid + "\"}}]");
    }
}
