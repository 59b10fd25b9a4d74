package dev.noether.exporter;

import dev.noether.exporter.page.EventLogReplay;
import dev.noether.exporter.page.ReplaySource;
import dev.noether.exporter.page.RunHistory;
import dev.noether.exporter.page.TrainingPage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training page of a finished run, replayed from its event log (like DL4J's FileStatsStorage UI):
 * the same page and endpoints as a live exporter, without {@code /metrics}, JVM memory or monitor cost.
 */
public final class ReplayServer implements AutoCloseable {
    private final HttpEndpoint http;
    private final ReplaySource source;

    private ReplayServer(HttpEndpoint http, ReplaySource source) {
        this.http = http;
        this.source = source;
    }

    /**
     * Reads the event log at {@code log} (its rotated files too) and serves its page on {@code host:port}.
     *
     * @throws UncheckedIOException when the log cannot be read
     * @throws ExporterStartException when the address cannot be bound
     */
    public static ReplayServer start(Path log, String host, int port, int maxRecords, long maxBytes) {
        return start(List.of(log), host, port, maxRecords, maxBytes);
    }

    /**
     * The page of several workers' event logs of one run (each with its rotated files), one line per worker: a
     * record's {@code "worker"}, or for records without one the log's name ({@code r1.w2.jsonl} → {@code r1.w2}).
     * A folder stands for every log in it ({@link LogFiles#logsIn}).
     */
    public static ReplayServer start(List<Path> logs, String host, int port, int maxRecords, long maxBytes) {
        List<Path> files = new ArrayList<>();
        for (Path log : logs) {
            if (Files.isDirectory(log)) {
                files.addAll(LogFiles.logsIn(log));
            } else if (Files.isRegularFile(log)) {
                files.add(log);
            } else {
                throw new IllegalArgumentException("No event log at " + log);
            }
        }
        if (files.isEmpty()) throw new IllegalArgumentException("No event log (*.jsonl) in " + logs);
        RunHistory history = RunHistory.replay(maxRecords, maxBytes);
        ReplaySource source;
        try {
            if (files.size() == 1) {
                source = EventLogReplay.read(LogFiles.inWritingOrder(files.get(0)), history);
            } else {
                Map<String, List<Path>> byWorker = new LinkedHashMap<>();
                for (Path f : files) {
                    String name = f.getFileName().toString();
                    byWorker.put(name.substring(0, name.length() - ".jsonl".length()), LogFiles.inWritingOrder(f));
                }
                source = EventLogReplay.readWorkers(byWorker, history);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + logs + ": " + e.getMessage(), e);
        }
        Map<String, Route> routes = new LinkedHashMap<>();
        NoetherExporter.addPage(routes, TrainingPage.replay(history, source));
        routes.put("/healthz", (headers, query) -> EndpointResponse.text(200, "ok\n"));
        return new ReplayServer(HttpEndpoint.start(host, port, routes), source);
    }

    /** The page's URL, with the real port when 0 was asked for. */
    public URI url() {
        InetSocketAddress address = http.address();
        return URI.create("http://" + HttpEndpoint.hostPort(address.getAddress().getHostAddress(), address.getPort()) + "/");
    }

    /** What was read: records, skipped lines. */
    public ReplaySource source() {
        return source;
    }

    @Override
    public void close() {
        http.close();
    }
}
