package dev.noether.agent;

import dev.noether.core.runtime.NoetherReport;
import dev.noether.core.runtime.NoetherReportListener;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Says once per model, on the agent's own line, which nodes Noether could not map and why (METRICS.md §12):
 * the agent turns the library's logger down to WARNING, so the monitor's INFO line naming them would never
 * reach the user. Reads the {@code model.unsupported} detail of the model's first step report, then passes
 * every report on unchanged.
 */
final class UnsupportedNotice implements NoetherReportListener {
    private final NoetherReportListener next;
    private final Set<String> done;

    UnsupportedNotice(NoetherReportListener next) {
        this(next, ConcurrentHashMap.newKeySet());
    }

    private UnsupportedNotice(NoetherReportListener next, Set<String> done) {
        this.next = next;
        this.done = done;
    }

    @Override
    public void onReport(NoetherReport report) {
        if (report.kind() == NoetherReport.Kind.STEP && !done.contains(report.model())) {
            notice(report);
        }
        next.onReport(report);
    }

    @Override
    public NoetherReportListener forWorker(String worker) {
        return new UnsupportedNotice(next.forWorker(worker), done);
    }

    private void notice(NoetherReport report) {
        if (!(report.toRecord().get("details") instanceof Map<?, ?> details)
                || !(details.get("model") instanceof Map<?, ?> model)) {
            return; // this step carries no model details: the next one will
        }
        done.add(report.model());
        if (model.get("unsupported") instanceof List<?> nodes && !nodes.isEmpty()) {
            String named = nodes.stream().map(n -> n instanceof Map<?, ?> u ? u.get("name") + " (" + u.get("reason") + ")"
                    : String.valueOf(n)).collect(Collectors.joining("; "));
            AgentLog.sayOnce("unsupported:" + report.model(), "model '" + report.model() + "': " + nodes.size()
                    + " node(s) not mapped (their weights, if any, get weight metrics only): " + named);
        }
    }
}
