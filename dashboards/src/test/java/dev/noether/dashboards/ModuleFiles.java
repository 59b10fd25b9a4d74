package dev.noether.dashboards;

import java.nio.file.Path;

/** Files of the dashboards module, found from the module folder that Maven runs the tests in. */
final class ModuleFiles {

    static final Path ALERT_RULES = resolve("prometheus/noether-alerts.yml");
    static final Path RECORDING_RULES = resolve("prometheus/noether-recording.yml");
    static final Path ALERT_TESTS = resolve("prometheus/tests/noether-alerts-test.yml");
    static final Path RECORDING_TESTS = resolve("prometheus/tests/noether-recording-test.yml");
    static final Path RUN_RULES = resolve("prometheus/noether-runs.yml");
    static final Path RUN_TESTS = resolve("prometheus/tests/noether-runs-test.yml");
    static final Path PROMETHEUS_CONFIG = resolve("prometheus/prometheus.yml");
    static final Path OVERVIEW_DASHBOARD = resolve("grafana/noether-overview.json");
    static final Path LAYER_DASHBOARD = resolve("grafana/noether-layer.json");

    private ModuleFiles() {
    }

    /** Surefire sets {@code basedir} to the module folder; a run from an IDE starts there anyway. */
    static Path resolve(String relative) {
        return Path.of(System.getProperty("basedir", ".")).resolve(relative).toAbsolutePath().normalize();
    }
}
