package dev.noether.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Prometheus rule files, their unit tests and the example configuration, checked by the real promtool. */
class RuleFilesTest {

    /**
     * Spec §8, one alert per item (rank collapse has an absolute and a relative rule), and §11's rule on the gradient
     * part of the charge's drift.
     */
    private static final Set<String> SPEC_ALERTS = Set.of(
            "NoetherNeuronCollapse", "NoetherDeadNeurons", "NoetherRankCollapse", "NoetherRankHalved",
            "NoetherChargeResidualHigh", "NoetherSymmetryBroken", "NoetherChargeDriftRateHigh", "NoetherNormImbalanceRising",
            "NoetherCrhPhaseChange", "NoetherNonFiniteValues", "NoetherTrainingStalled",
            "NoetherMonitorOverheadHigh", "NoetherGpuIdleWhileTraining");

    private static final Pattern ALERT = Pattern.compile("(?m)^\\s*- alert:\\s*(\\w+)\\s*$");
    /** An alert_rule_test entry: the alert name and what follows exp_alerts on the same line ("[]" = quiet). */
    private static final Pattern CASE =
            Pattern.compile("(?m)^\\s*alertname:\\s*(\\w+)\\s*\\n\\s*exp_alerts:[ \\t]*(\\S*)");

    @Test
    void ruleFilesPassPromtoolCheck() {
        Promtool.Result result = Promtool.checkRules(ModuleFiles.ALERT_RULES, ModuleFiles.RECORDING_RULES);
        assertThat(result.succeeded()).as(result.output()).isTrue();
    }

    @Test
    void alertUnitTestsPass() {
        Promtool.Result result = Promtool.testRules(ModuleFiles.ALERT_TESTS);
        assertThat(result.succeeded()).as(result.output()).isTrue();
    }

    @Test
    void recordingUnitTestsPass() {
        Promtool.Result result = Promtool.testRules(ModuleFiles.RECORDING_TESTS);
        assertThat(result.succeeded()).as(result.output()).isTrue();
    }

    @Test
    void examplePrometheusConfigIsValidAndLoadsBothRuleFiles() {
        Promtool.Result result = Promtool.checkConfig(ModuleFiles.PROMETHEUS_CONFIG);
        assertThat(result.succeeded()).as(result.output()).isTrue();
        assertThat(result.output()).contains("noether-alerts.yml", "noether-recording.yml", "2 rule files found");
    }

    @Test
    void alertsAreThoseOfSpecSection8() throws IOException {
        assertThat(alertNames()).containsExactlyInAnyOrderElementsOf(SPEC_ALERTS);
    }

    @Test
    void everyAlertHasAFiringAndAQuietUnitTest() throws IOException {
        Set<String> firing = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        Matcher m = CASE.matcher(Files.readString(ModuleFiles.ALERT_TESTS));
        while (m.find()) {
            (m.group(2).equals("[]") ? quiet : firing).add(m.group(1));
        }
        List<String> alerts = alertNames();
        assertThat(firing).as("alerts with a case that fires").containsExactlyInAnyOrderElementsOf(alerts);
        assertThat(quiet).as("alerts with a case that stays quiet").containsExactlyInAnyOrderElementsOf(alerts);
    }

    @Test
    void promtoolRejectsABrokenRuleFile() throws IOException {
        // The checks above can fail: promtool reports a syntax error with a non-zero exit status.
        var broken = Files.createTempFile("broken-rules", ".yml");
        try {
            Files.writeString(broken, "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]\n");
            Promtool.Result result = Promtool.checkRules(broken);
            assertThat(result.succeeded()).isFalse();
            assertThat(result.output()).contains("parse error");
        } finally {
            Files.delete(broken);
        }
    }

    private static List<String> alertNames() throws IOException {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = ALERT.matcher(Files.readString(ModuleFiles.ALERT_RULES));
        while (m.find()) {
            names.add(m.group(1));
        }
        return List.copyOf(names);
    }
}
