package dev.noether.exporter.page;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class AlertConditionsTest {
    private static final Path ALERTS = Path.of("..", "dashboards", "prometheus", "noether-alerts.yml");

    @Test
    void namesTheRulesExactlyAsTheAlertFileDoes() throws Exception {
        List<String> inFile = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*-\\s*alert:\\s*(\\S+)\\s*$").matcher(Files.readString(ALERTS));
        while (m.find()) inFile.add(m.group(1));
        assertThat(inFile).isNotEmpty();
        assertThat(AlertConditions.RULES).containsExactlyInAnyOrderElementsOf(inFile);
        List<String> evaluated = AlertConditions.evaluate(List.of(), 0, null).stream().map(AlertConditions.Condition::rule).toList();
        assertThat(evaluated).containsExactlyElementsOf(AlertConditions.RULES);
    }

    /**
     * The page of a run of two workers: a layer's latest value is its own worker's, so a rule holds where it holds for
     * one worker even when another worker's record is newer, and says which worker.
     */
    @Test
    @SuppressWarnings("unchecked")
    void aRuleOfSeveralWorkersHoldsWhereItHoldsForOneAndNamesTheWorker() {
        RunHistory h = RunHistory.replay(100, Long.MAX_VALUE);
        h.offer(Records.step(0, 1).worker("a").layer("fc1", "layer.neurons", 64.0).layer("fc1", "layer.inputs", 64.0).build());
        h.offer(Records.analysis(0, 2).worker("a").layer("fc1", "neurons.dead", 33.0).build()); // 52 % dead: holds
        h.offer(Records.step(0, 3).worker("b").layer("fc1", "layer.neurons", 64.0).layer("fc1", "layer.inputs", 64.0).build());
        h.offer(Records.analysis(0, 4).worker("b").layer("fc1", "neurons.dead", 2.0).build()); // newer, quiet
        List<Map<String, Object>> alerts = (List<Map<String, Object>>) TrainingPage.replay(h,
                new ReplaySource("two workers", 4, 4, 0, null)).run().get("alerts");
        Map<String, Object> dead = alerts.stream().filter(a -> a.get("rule").equals("NoetherDeadNeurons")).findFirst().orElseThrow();
        assertThat(dead).containsEntry("state", "holds").containsEntry("where", List.of("fc1 · a"));
        assertThat(alerts).hasSize(AlertConditions.RULES.size());
    }

    @Test
    void anEmptyHistoryHasNoDataRatherThanQuietRules() {
        assertThat(AlertConditions.evaluate(List.of(), 0, null))
                .allSatisfy(c -> assertThat(c.state()).as(c.rule()).isEqualTo(AlertConditions.State.NO_DATA));
    }

    @Test
    void thresholdsOfTheRuleFileOnEachSideOfTheLine() {
        double t0 = 1_000_000;
        List<Map<String, Object>> records = List.of(
                Records.step(0, t0).layer("a", "layer.neurons", 64.0).layer("a", "layer.inputs", 200.0)
                        .layer("b", "layer.neurons", 64.0).layer("b", "layer.inputs", 64.0)
                        .pair("a:b", "charge.residual", 2e-4).pair("a:b", "charge.drift.rate", -0.02)
                        .pair("b:c", "charge.residual", 5e-5).pair("b:c", "charge.drift.rate", 0.009)
                        // a:b's gradient part is 30 % of what moves its charge (holds), b:c's round-off (quiet)
                        .pair("a:b", "charge.drift.rate.part.decay", 0.0).pair("a:b", "charge.drift.rate.part.optimizer", -4e-4)
                        .pair("a:b", "charge.drift.rate.part.gradient", 2e-4).pair("a:b", "charge.drift.rate.part.step", -6e-5)
                        .pair("b:c", "charge.drift.rate.part.decay", -1e-4).pair("b:c", "charge.drift.rate.part.optimizer", -4e-4)
                        .pair("b:c", "charge.drift.rate.part.gradient", 3e-11).pair("b:c", "charge.drift.rate.part.step", 2e-5)
                        .metric("norm.imbalance", 0.10).build(),
                Records.analysis(0, t0).layer("a", "neurons.distinct", 64.0).layer("b", "neurons.distinct", 64.0)
                        .layer("a", "layer.effective.rank", 40.0).layer("b", "layer.effective.rank", 40.0)
                        .layer("a", "crh.phase", "none").layer("b", "crh.phase", "7").build(),
                // 10 minutes later: a lost 25 % of its distinct neurons (holds), b 24 % (quiet); a's rank 6 of
                // min(64, 200) = 9.4 % (collapse) and 15 % of its max (halved); b's rank 21 of 40 (> half).
                Records.analysis(100, t0 + 600).layer("a", "neurons.distinct", 48.0).layer("b", "neurons.distinct", 48.64)
                        .layer("a", "neurons.dead", 33.0).layer("b", "neurons.dead", 32.0)
                        .layer("a", "layer.effective.rank", 6.0).layer("b", "layer.effective.rank", 21.0)
                        .layer("a", "crh.phase", "none").layer("b", "crh.phase", "crh").build(),
                Records.step(100, t0 + 600).metric("norm.imbalance", 0.31).build());
        Map<String, AlertConditions.Condition> c = byRule(AlertConditions.evaluate(records, t0 + 600, null));
        assertHolds(c, "NoetherNeuronCollapse", "a");
        assertHolds(c, "NoetherDeadNeurons", "a");
        assertHolds(c, "NoetherRankCollapse", "a");
        assertHolds(c, "NoetherRankHalved", "a");
        assertHolds(c, "NoetherChargeResidualHigh", "a:b");
        assertHolds(c, "NoetherSymmetryBroken", "a:b");
        assertHolds(c, "NoetherChargeDriftRateHigh", "a:b");
        assertHolds(c, "NoetherNormImbalanceRising", "model");
        assertHolds(c, "NoetherCrhPhaseChange", "b → crh");
        // Without a registry (a replay) the rules on meters have no data.
        assertThat(c.get("NoetherNonFiniteValues").state()).isEqualTo(AlertConditions.State.NO_DATA);
        assertThat(c.get("NoetherTrainingStalled").state()).isEqualTo(AlertConditions.State.NO_DATA);
        assertThat(c.get("NoetherGpuIdleWhileTraining").state()).isEqualTo(AlertConditions.State.NO_DATA);

        // 16 minutes after the first analysis the 15-minute window no longer sees 64 distinct neurons.
        Map<String, AlertConditions.Condition> later = byRule(AlertConditions.evaluate(records.subList(1, 3), t0 + 16 * 60, null));
        assertThat(later.get("NoetherNeuronCollapse").state()).isEqualTo(AlertConditions.State.QUIET);
    }

    @Test
    void liveRulesReadTheRegistryReadings() {
        double now = 2_000_000;
        List<Map<String, Object>> records = List.of(Records.step(0, now - 700).build(), Records.step(50, now - 601).build());
        MeterReadings idleGpu = new MeterReadings(0.06, 0.02, 0.05, 3L, 0.1, 0.2, Map.of(), 1.0, 0.0,
                List.of(new MeterReadings.Gpu("0", 0.05, 1e9, 8e9, 50.0, 40.0)));
        Map<String, AlertConditions.Condition> c = byRule(AlertConditions.evaluate(records, now, idleGpu));
        assertThat(c.get("NoetherNonFiniteValues").state()).isEqualTo(AlertConditions.State.HOLDS);
        assertThat(c.get("NoetherMonitorOverheadHigh").state()).isEqualTo(AlertConditions.State.HOLDS);
        assertThat(c.get("NoetherTrainingStalled").state()).isEqualTo(AlertConditions.State.HOLDS);
        // Steps did not advance in the last 5 minutes: an idle GPU is not "idle while training".
        assertThat(c.get("NoetherGpuIdleWhileTraining").state()).isEqualTo(AlertConditions.State.QUIET);
        List<Map<String, Object>> training = List.of(Records.step(0, now - 100).build(), Records.step(50, now - 1).build());
        assertThat(byRule(AlertConditions.evaluate(training, now, idleGpu)).get("NoetherGpuIdleWhileTraining").state())
                .isEqualTo(AlertConditions.State.HOLDS);
        MeterReadings fine = new MeterReadings(0.01, 0.02, 0.05, 3L, 0.1, 0.2, Map.of(), 0.0, 0.0, List.of());
        Map<String, AlertConditions.Condition> ok = byRule(AlertConditions.evaluate(training, now, fine));
        assertThat(ok.get("NoetherNonFiniteValues").state()).isEqualTo(AlertConditions.State.QUIET);
        assertThat(ok.get("NoetherMonitorOverheadHigh").state()).isEqualTo(AlertConditions.State.QUIET);
        assertThat(ok.get("NoetherTrainingStalled").state()).isEqualTo(AlertConditions.State.QUIET);
        assertThat(ok.get("NoetherGpuIdleWhileTraining").state()).isEqualTo(AlertConditions.State.NO_DATA);
    }

    private static void assertHolds(Map<String, AlertConditions.Condition> c, String rule, String... where) {
        assertThat(c.get(rule).state()).as(rule).isEqualTo(AlertConditions.State.HOLDS);
        assertThat(c.get(rule).where()).as(rule).containsExactly(where);
    }

    private static Map<String, AlertConditions.Condition> byRule(List<AlertConditions.Condition> conditions) {
        Map<String, AlertConditions.Condition> out = new java.util.LinkedHashMap<>();
        for (AlertConditions.Condition c : conditions) out.put(c.rule(), c);
        return out;
    }
}
