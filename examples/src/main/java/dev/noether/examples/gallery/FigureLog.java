package dev.noether.examples.gallery;

import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.exporter.EventLog;
import dev.noether.exporter.EventLogOptions;
import dev.noether.exporter.EventLogReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The event log of one figure ({@code <out>/<figure>.jsonl}): every report of the figure's runs is written to it
 * (and to the live page, when the gallery serves one), and the figure is then drawn from the records read back, so
 * what it shows is exactly what Noether measured. {@code java -jar exporter/target/noether-exporter.jar ui <log>}
 * replays it like any other run.
 */
final class FigureLog implements AutoCloseable {
    /** Every observed step of a few thousand steps is queued while the small models train faster than it writes. */
    private static final int QUEUE = 1 << 17;

    private final Path path;
    private final EventLog log;
    private final NoetherReportListener page;

    FigureLog(Path path, NoetherReportListener page) throws java.io.IOException {
        this.path = path;
        Files.deleteIfExists(path); // a figure's log holds one gallery run, not the appended history of several
        this.log = EventLog.open(path, EventLogOptions.builder().queueCapacity(QUEUE).build());
        this.page = page;
    }

    /** The listener a run's Noether listener reports to: the event log and, if served, the live page. */
    NoetherReportListener reports() {
        return report -> {
            log.append(report.toRecord());
            if (page != null) {
                page.onReport(report);
            }
        };
    }

    /** Adds a record of the gallery's own (a figure's summary) to the log. */
    void append(Map<String, ?> record) {
        log.append(record);
    }

    /** Closes the log and reads every record back; fails if the log lost a record (the figure would be wrong). */
    Records finish() {
        log.close();
        if (log.lostRecords() > 0) {
            throw new IllegalStateException("the event log " + path + " lost " + log.lostRecords() + " records");
        }
        List<Map<String, Object>> all = EventLogReader.readAll(path);
        return new Records(all);
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        log.close();
    }
}
