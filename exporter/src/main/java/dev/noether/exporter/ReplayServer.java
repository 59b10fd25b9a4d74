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
import java.util.LinkedHashMap;
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
        if (!Files.isRegularFile(log)) {
            throw new IllegalArgumentException("No event log at " + log);
        }
        RunHistory history = RunHistory.replay(maxRecords, maxBytes);
        ReplaySource source;
        try {
            source = EventLogReplay.read(LogFiles.inWritingOrder(log), history);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + log + ": " + e.getMessage(), e);
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
