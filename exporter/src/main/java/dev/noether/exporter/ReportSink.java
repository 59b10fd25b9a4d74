package dev.noether.exporter;

import dev.noether.core.runtime.NoetherReport;
import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.exporter.page.RunHistory;

/**
 * The exporter's one adapter to core's reports: each report becomes its event-log record once
 * ({@code toRecord()}), which goes to the event log (when there is one) and to the page's history. Both only
 * queue it, so the training thread returns at once.
 */
final class ReportSink implements NoetherReportListener {
    private final EventLog eventLog; // null when none
    private final RunHistory history;
    private final String worker; // null: none

    ReportSink(EventLog eventLog, RunHistory history, String worker) {
        this.eventLog = eventLog;
        this.history = history;
        this.worker = worker;
    }

    /** The sink for one worker's monitor in this process (a Spark partition, a replica): its records say so. */
    @Override
    public NoetherReportListener forWorker(String worker) {
        return new ReportSink(eventLog, history, worker);
    }

    @Override
    public void onReport(NoetherReport report) {
        var record = report.toRecord();
        if (worker != null) record.put("worker", worker);
        if (eventLog != null) eventLog.append(record);
        history.offer(record);
    }
}
