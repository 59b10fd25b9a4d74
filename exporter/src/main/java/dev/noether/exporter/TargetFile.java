package dev.noether.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This process's Prometheus {@code file_sd} target file in a shared folder, so that a scraper (Prometheus,
 * Prometheus agent mode, vmagent) finds every worker of a run, whatever port each one got:
 *
 * <pre>{@code [{"targets":["10.0.0.5:41377"],"labels":{"run":"r1","worker":"trainer-3-48211","model":"dl4j",
 *   "__meta_noether_host":"trainer-3","__meta_noether_pid":"48211","__meta_noether_started":"1733580000.123"}}]}</pre>
 *
 * <ul>
 *   <li><b>Atomic</b>: written to a hidden {@code .*.tmp} file (no {@code *.json} glob matches it) and renamed over
 *       the target file, so a scraper never reads half a file. Rewritten when the models served change.</li>
 *   <li><b>Removed at clean exit</b> ({@link #close()}, from the exporter's).</li>
 *   <li><b>Stale after a crash</b>: the file's modification time is its heartbeat, touched every
 *       {@link #REFRESH}. A file is stale when its heartbeat is older than {@link #STALE_AFTER} (any host), or at
 *       once when its process ({@code __meta_noether_host}, {@code _pid}, {@code _started}) is gone from this host.
 *       Every Noether process writing to the folder removes stale files when it starts and at each refresh, so a
 *       killed worker's target disappears from the scraper at its next file check.</li>
 * </ul>
 * The {@code __meta_*} labels are dropped by the scraper after relabeling; scrape with {@code honor_labels: true} so
 * that the exposition's own {@code run}, {@code worker} and {@code model} labels win over the target's.
 */
final class TargetFile implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TargetFile.class.getName());
    static final Duration REFRESH = Duration.ofSeconds(2);
    static final Duration STALE_AFTER = REFRESH.multipliedBy(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "noether-";

    private final Path dir;
    private final Path file;
    private final String target;
    private final Map<String, String> labels;
    private final MeterRegistry registry;
    private final ScheduledExecutorService refresher;
    private String writtenModels;

    private TargetFile(Path dir, String target, Map<String, String> labels, MeterRegistry registry) {
        this.dir = dir;
        this.target = target;
        this.labels = labels;
        this.registry = registry;
        ProcessHandle self = ProcessHandle.current();
        this.file = dir.resolve(PREFIX + safe(labels.getOrDefault("worker", "worker")) + "-" + self.pid() + "-"
                + safe(target.substring(target.lastIndexOf(':') + 1)) + ".json");
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "noether-targets");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Writes the target file of {@code target} ({@code host:port}) with {@code labels} (run, worker) and the models of
     * {@code registry}, removes stale files of others, and keeps it fresh until {@link #close()}.
     *
     * @throws java.io.UncheckedIOException when the folder cannot be created or written
     */
    static TargetFile start(Path dir, String target, Map<String, String> labels, MeterRegistry registry) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot create the targets folder " + dir + ": " + e.getMessage(), e);
        }
        TargetFile f = new TargetFile(dir, target, labels, registry);
        f.sweep();
        f.write(f.models());
        long millis = REFRESH.toMillis();
        f.refresher.scheduleWithFixedDelay(f::refresh, millis, millis, TimeUnit.MILLISECONDS);
        return f;
    }

    Path path() {
        return file;
    }

    private void refresh() {
        try {
            String models = models();
            if (!models.equals(writtenModels) || !Files.exists(file)) {
                write(models);
            } else {
                Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
            }
            sweep();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "Noether targets: refresh of " + file + " failed: " + e);
        }
    }

    /** The models this process serves now, comma-separated (the {@code model} tags of {@code noether.steps}). */
    private String models() {
        Set<String> models = new TreeSet<>();
        for (Meter m : registry.find("noether.steps").meters()) {
            String model = m.getId().getTag("model");
            if (model != null) models.add(model);
        }
        return String.join(",", models);
    }

    private synchronized void write(String models) {
        ObjectNode group = JSON.createObjectNode();
        group.putArray("targets").add(target);
        ObjectNode l = group.putObject("labels");
        labels.forEach(l::put);
        if (!models.isEmpty()) l.put("model", models);
        ProcessHandle self = ProcessHandle.current();
        l.put("__meta_noether_host", dev.noether.core.worker.WorkerIdentity.host());
        l.put("__meta_noether_pid", Long.toString(self.pid()));
        self.info().startInstant().ifPresent(s -> l.put("__meta_noether_started", Long.toString(s.toEpochMilli())));
        ArrayNode groups = JSON.createArrayNode().add(group);
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(groups) + "\n");
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            writtenModels = models;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Noether targets: cannot write " + file + ": " + e);
        }
    }

    /** Removes the stale target files of other processes (see the class). */
    void sweep() {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*.json")) {
            Instant now = Instant.now();
            for (Path other : files) {
                if (!other.equals(file) && isStale(other, now)) {
                    Files.deleteIfExists(other);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "Noether targets: sweep of " + dir + " failed: " + e);
        }
    }

    /** Whether {@code file} is a stale Noether target file (see the class); false when it cannot tell. */
    static boolean isStale(Path file, Instant now) {
        try {
            if (Files.getLastModifiedTime(file).toInstant().isBefore(now.minus(STALE_AFTER))) return true;
            JsonNode labels = JSON.readTree(file.toFile()).path(0).path("labels");
            if (!dev.noether.core.worker.WorkerIdentity.host().equals(labels.path("__meta_noether_host").asText())) {
                return false; // another host: only its heartbeat tells
            }
            long pid = Long.parseLong(labels.path("__meta_noether_pid").asText("-1"));
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            if (process.isEmpty() || !process.get().isAlive()) return true;
            String started = labels.path("__meta_noether_started").asText("");
            return !started.isEmpty() && process.get().info().startInstant()
                    .map(s -> s.toEpochMilli() != Long.parseLong(started)).orElse(false); // the pid was reused
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Stops refreshing and removes the file (clean exit). */
    @Override
    public void close() {
        refresher.shutdownNow();
        synchronized (this) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Noether targets: cannot remove " + file + ": " + e);
            }
        }
    }

    private static String safe(String s) {
        return s.replaceAll("[^A-Za-z0-9_.-]", "_");
    }
}
