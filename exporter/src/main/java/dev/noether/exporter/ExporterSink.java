package dev.noether.exporter;

import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.core.worker.WorkerSink;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.Serial;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the DL4J listener's copies on remote Spark executors publish: one {@link NoetherExporter} per executor JVM,
 * started at the first worker network, on {@code host:port} (port 0 by default), with a {@code file_sd} target file
 * in {@code targets} (a folder the scraper reads) and an event log per worker in {@code events}; closed at JVM
 * exit (which removes the target file). Serializable: Spark ships it with the listener.
 *
 * <pre>{@code
 * NoetherListener.builder().onWorkers(ExporterSink.of("exp-7", Path.of("/shared/noether/targets"))) ...
 * }</pre>
 *
 * @param run    the {@code run} tag (required: the workers' series and files are found by it)
 * @param targets the folder of the target files, or null for none
 * @param events the folder of the workers' event logs, or null for none
 * @param host   the address to listen on ({@code 0.0.0.0}: reachable from the scraper's host)
 * @param port   the port, 0 for a free one
 */
public record ExporterSink(String run, String targets, String events, String host, int port) implements WorkerSink {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final Map<ExporterSink, NoetherExporter> STARTED = new ConcurrentHashMap<>();

    /** An exporter per executor on all interfaces, a free port, with its target file in {@code targets}. */
    public static ExporterSink of(String run, Path targets) {
        return new ExporterSink(run, targets.toString(), null, "0.0.0.0", 0);
    }

    /** This sink with the workers' event logs in {@code folder} ({@code <run>.<worker>.jsonl}). */
    public ExporterSink withEventLogs(Path folder) {
        return new ExporterSink(run, targets, folder.toString(), host, port);
    }

    /** This sink on another address. */
    public ExporterSink on(String host, int port) {
        return new ExporterSink(run, targets, events, host, port);
    }

    @Override
    public MeterRegistry registry() {
        return exporter().registry();
    }

    @Override
    public List<NoetherReportListener> reportListeners() {
        return List.of(exporter().reportListener());
    }

    /** This JVM's exporter for this sink, started at the first call. */
    public NoetherExporter exporter() {
        return STARTED.computeIfAbsent(this, s -> {
            NoetherExporter.Builder b = NoetherExporter.builder().host(host).port(port).run(run);
            if (targets != null) b.targets(Path.of(targets));
            if (events != null) {
                try {
                    java.nio.file.Files.createDirectories(Path.of(events));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                b.eventLog(Path.of(events));
            }
            NoetherExporter exporter = b.start();
            Runtime.getRuntime().addShutdownHook(new Thread(exporter::close, "noether-sink-shutdown"));
            return exporter;
        });
    }
}
