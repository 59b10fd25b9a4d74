package dev.noether.djl;

import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.NoetherConfig;
import dev.noether.core.NoetherMonitor;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Every metric family of the catalogue (CONTEXT.md, METRICS.md §7) appears in a Prometheus scrape. */
class MetricCatalogueTest {
    private static final List<String> FAMILIES = List.of(
            "noether_steps_total", "noether_loss", "noether_learning_rate", "noether_last_step_timestamp_seconds",
            "noether_analysis_seconds_count", "noether_analysis_seconds_sum", "noether_analysis_skipped_total",
            "noether_nonfinite_total", "noether_errors_total", "noether_info", "noether_norm_imbalance", "noether_norm_spread",
            "noether_monitor_overhead",
            "noether_charge", "noether_charge_relative", "noether_charge_drift", "noether_charge_drift_rate",
            "noether_charge_drift_rate_predicted", "noether_charge_residual", "noether_symmetry_violation",
            "noether_pair_norm_ratio",
            "noether_layer_weight_norm", "noether_layer_update_ratio", "noether_layer_effective_learning_rate",
            "noether_layer_neurons", "noether_layer_inputs", "noether_neurons_dead", "noether_neurons_inactive",
            "noether_neurons_distinct", "noether_neuron_blocks", "noether_neuron_block_max_size",
            "noether_neuron_correlation_mean_abs", "noether_layer_effective_rank", "noether_layer_stable_rank",
            "noether_representation_effective_rank", "noether_crh_alignment", "noether_crh_alignment_baseline",
            "noether_crh_phase", "noether_pah_exponent", "noether_pah_fit_r2", "noether_fdt_residual");

    /** Three hidden layers (two intermediate ones, for norm.imbalance); a LayerNorm makes one scale-invariant. */
    private static SequentialBlock network() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(16).build()).add(LayerNorm.builder().build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(4).build());
    }

    @Test
    void everyFamilyAppearsInTheScrape() throws InterruptedException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NoetherListener listener = NoetherListener.builder().registry(registry).modelName("catalogue")
                .config(NoetherConfig.builder().analysisEvery(20).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).build()).build();
        TeacherStudent data = TeacherStudent.generate(256, 8, 4, 61);
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).optWeightDecays(1e-3f).build();
        try (DjlRun run = new DjlRun(network(), data, sgd, 17, listener)) {
            run.steps(100, 32);
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            Analyses.awaitIdle(monitor);
            String scrape = registry.scrape();

            for (String family : FAMILIES) {
                assertThat(Pattern.compile("(?m)^" + family + "[{ ]").matcher(scrape).find())
                        .as("family %s in the scrape", family).isTrue();
            }
            // only a CRH phase that predicts an exponent has one (METRICS.md §5 table)
            boolean predictingPhase = Pattern.compile(
                    "(?m)^noether_crh_phase\\{[^}]*phase=\"(crh|[1-9])\"[^}]*} 1\\.0$").matcher(scrape).find();
            assertThat(scrape.contains("noether_pah_exponent_predicted{")).isEqualTo(predictingPhase);

            assertThat(scrape).containsPattern("noether_info\\{[^}]*engine=\"DJL/PyTorch\"[^}]*model=\"catalogue\""
                    + "[^}]*optimizer=\"sgd\"[^}]*unsupported=\"\"");
            assertThat(scrape).contains("noether_layer_effective_learning_rate{layer=\"05Linear\",model=\"catalogue\"}");
            assertThat(scrape).contains("noether_charge_residual{model=\"catalogue\",pair=\"01Linear:03Linear\","
                    + "symmetry=\"rescaling\"}");
            assertThat(scrape).containsPattern("noether_steps_total\\{model=\"catalogue\"} 100\\.0");
            assertThat(monitor.errors("adapter") + monitor.errors("probe") + monitor.errors("analysis")).isZero();
        }
    }
}
