package dev.noether.dashboards;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules for runs of many workers ({@code prometheus/noether-runs.yml}) with the real promtool: they check, their
 * unit tests pass (each alert fires once per run naming the worker, and stays quiet when one worker of many is
 * briefly late), every alert has a firing and a quiet case, and the tests can fail: without {@code topk by (run)}
 * the stalled-worker alert fires once per worker and its test fails.
 */
class RunRulesTest {
    private static final Pattern ALERT = Pattern.compile("(?m)^\\s*- alert:\\s*(\\w+)");

    @Test
    void runRulesPassPromtoolCheckAndTheirTests() {
        Promtool.Result check = Promtool.checkRules(ModuleFiles.RUN_RULES);
        assertThat(check.succeeded()).as(check.output()).isTrue();
        Promtool.Result test = Promtool.testRules(ModuleFiles.RUN_TESTS);
        assertThat(test.succeeded()).as(test.output()).isTrue();
    }

    @Test
    void everyRunAlertHasAFiringAndAQuietCase() throws Exception {
        List<String> alerts = new ArrayList<>();
        Matcher a = ALERT.matcher(Files.readString(ModuleFiles.RUN_RULES));
        while (a.find()) alerts.add(a.group(1));
        assertThat(alerts).containsExactly("NoetherRunWorkerStalled", "NoetherRunDeadNeurons", "NoetherRunNonFiniteValues");
        // a case with exp_alerts after the alert name fires; one without expects no alert
        String tests = Files.readString(ModuleFiles.RUN_TESTS);
        for (String alert : alerts) {
            assertThat(tests).as(alert + " fires somewhere").containsPattern("alertname: " + alert + "\\s*\\n\\s*exp_alerts:");
            assertThat(tests).as(alert + " stays quiet somewhere")
                    .containsPattern("alertname: " + alert + "\\s*\\n(\\s*- eval_time|\\s*\\n|\\s*- name|\\s*$)");
        }
    }

    @Test
    void withoutTopkTheStalledWorkerAlertFiresPerWorkerAndTheTestFails(@TempDir Path dir) throws Exception {
        Path rules = Files.writeString(dir.resolve("noether-runs.yml"), Files.readString(ModuleFiles.RUN_RULES)
                .replace("topk by (run, model) (1,\n            time()", "(\n            time()"));
        Path tests = Files.createDirectories(dir.resolve("tests")).resolve("noether-runs-test.yml");
        Files.writeString(tests, Files.readString(ModuleFiles.RUN_TESTS));
        assertThat(Files.readString(rules)).doesNotContain("topk by (run, model) (1,\n            time()");
        Promtool.Result test = Promtool.testRules(tests);
        assertThat(test.succeeded()).as("the unit tests catch an alert per worker").isFalse();
        assertThat(test.output()).contains("NoetherRunWorkerStalled");
    }
}
