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

    ReportSink(EventLog eventLog, RunHistory history) {
        this.eventLog = eventLog;
        this.history = history;
    }

    @Override
    public void onReport(NoetherReport report) {
        var record = report.toRecord();
        if (eventLog != null) eventLog.append(record);
        history.offer(record);
    }
}
