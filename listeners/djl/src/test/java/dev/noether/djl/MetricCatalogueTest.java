package dev.noether.djl;

import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Every metric family of the catalogue (CONTEXT.md, METRICS.md §7) appears in a Prometheus scrape. */
class MetricCatalogueTest {
    /**
     * Every sample name of the catalogue; the predicted exponent, present only in some phases, is checked below; the
     * attention heads' families need an attention block (TransformerEncoderTest scrapes them).
     */
    private static final List<String> FAMILIES = MetricFamily.all().stream()
            .filter(f -> f != MetricFamily.PAH_EXPONENT_PREDICTED)
            .filter(f -> f != MetricFamily.HEADS_DEAD && f != MetricFamily.HEADS_DISTINCT)
            .flatMap(f -> f.prometheusSamples().stream()).toList();

    /**
     * Hidden layers with intermediate ones (for norm.imbalance); a LayerNorm makes one scale-invariant; the last two
     * Linear layers, bias-free and nothing between, a rotation pair (for rotation.violation).
     */
    private static SequentialBlock network() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(16).build()).add(LayerNorm.builder().build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(8).optBias(false).build())
                .add(Linear.builder().setUnits(4).build());
    }

    @Test
    void everyFamilyAppearsInTheScrape() throws InterruptedException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(registry).modelName("catalogue")
                .config(NoetherConfig.builder().analysisEvery(20).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build()).build();
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
            assertThat(scrape).contains("noether_rotation_violation{model=\"catalogue\",pair=\"08Linear:09Linear\","
                    + "symmetry=\"rotation\"}");
            assertThat(scrape).containsPattern("noether_steps_total\\{model=\"catalogue\"} 100\\.0");
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.ANALYSIS)).isZero();
        }
    }
}
