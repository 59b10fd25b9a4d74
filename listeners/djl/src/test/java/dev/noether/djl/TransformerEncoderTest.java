package dev.noether.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.model.AttentionBlock;
import dev.noether.core.physics.DoubleRotation;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import dev.noether.core.runtime.Stage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * METRICS.md §12 and §9.8 on a real DJL 2-block {@link TransformerEncoderBlock} encoder (embedding 8, 2 heads of
 * 4, ReLU feed-forward of 16) trained on generated sequences of 5 tokens: every weight is a layer with metrics, the
 * feed-forward blocks are rescaling pairs, and each block's Q/K and V/O double-rotation charges follow the exact
 * plain-SGD + L2 identity, are conserved by small-step full-batch GD, and satisfy the Noether identity for the true
 * heads but not for a wrong head size.
 */
class TransformerEncoderTest {
    private static final int TOKENS = 5;
    private static final int EMBEDDING = 8;
    private static final int HEADS = 2;
    private static final NoetherConfig EVERY_STEP = NoetherConfig.builder().observeEvery(1).analysisEvery(50)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();
    private static final String[] BLOCKS = {"01TransformerEncoderBlock_01selfAttention",
            "02TransformerEncoderBlock_01selfAttention"};

    private static SequentialBlock encoder() {
        return new SequentialBlock()
                .add(new TransformerEncoderBlock(EMBEDDING, HEADS, 16, 0f, Activation::relu))
                .add(new TransformerEncoderBlock(EMBEDDING, HEADS, 16, 0f, Activation::relu))
                .add(new LambdaBlock(x -> new NDList(x.singletonOrThrow().mean(new int[] {1})), "meanOverTokens"))
                .add(Linear.builder().setUnits(2).build());
    }

    private static Optimizer sgd(float eta, float gamma) {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(eta)).optWeightDecays(gamma).build();
    }

    private static NoetherTrainingListener listener(PrometheusMeterRegistry registry, List<NoetherReport> steps) {
        return listener(registry, steps, new ArrayList<>());
    }

    private static NoetherTrainingListener listener(PrometheusMeterRegistry registry, List<NoetherReport> steps,
                                                    List<NoetherReport> analyses) {
        return NoetherTrainingListener.builder().registry(registry).config(EVERY_STEP).addListener(r -> {
            synchronized (analyses) {
                (r.kind() == NoetherReport.Kind.STEP ? steps : analyses).add(r);
            }
        }).build();
    }

    @Test
    void everyWeightIsALayerAndTheAttentionChargesFollowTheSgdIdentityAtEveryStep() throws InterruptedException {
        TeacherStudent data = TeacherStudent.generate(256, TOKENS * EMBEDDING, 2, 5);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<NoetherReport> steps = new ArrayList<>();
        List<NoetherReport> analyses = new ArrayList<>();
        NoetherTrainingListener listener = listener(registry, steps, analyses);
        try (DjlRun run = new DjlRun(encoder(), data, new Shape(TOKENS, EMBEDDING), sgd(0.05f, 0.01f), 3, listener)) {
            run.steps(60, 16);
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            Analyses.awaitIdle(monitor);
            List<String> layers = monitor.description().layers().stream().map(l -> l.name()).toList();
            assertThat(layers).hasSize(2 * 6 + 1);
            for (String block : BLOCKS) {
                String encoder = block.substring(0, block.indexOf('_'));
                assertThat(layers).contains(block + "_01keyProjection", block + "_02queryProjection",
                        block + "_03valueProjection", block + "_04resultProjection",
                        encoder + "_03outputBlock_01Linear", encoder + "_03outputBlock_03Linear");
                // the ReLU feed-forward block is a rescaling pair
                assertThat(monitor.value("charge", "pair", encoder + "_03outputBlock_01Linear:" + encoder
                        + "_03outputBlock_03Linear", "symmetry", "rescaling")).isPresent();
            }
            assertThat(monitor.description().attention()).extracting(AttentionBlock::name).containsExactly(BLOCKS);
            assertThat(monitor.description().attention()).allMatch(b -> b.headSize() == EMBEDDING / HEADS);
            String scrape = registry.scrape();
            for (String layer : layers) {
                assertThat(monitor.value("layer.weight.norm", "layer", layer)).as(layer).isPresent();
                assertThat(scrape).contains("noether_layer_info{kind=\"dense\",layer=\"" + layer + "\"");
            }
            assertThat(scrape).contains("noether_heads_distinct{block=\"" + BLOCKS[0] + "\"");
            assertThat(scrape).contains("noether_heads_dead{block=\"" + BLOCKS[0] + "\"");
            double moved = 0;
            for (NoetherReport r : steps.subList(1, steps.size())) {
                for (String block : BLOCKS) {
                    for (String pair : List.of(block + ":qk", block + ":vo")) {
                        String[] tags = {"pair", pair, "symmetry", "double_rotation"};
                        assertThat(r.value("charge.residual", tags)).as("step %d %s", r.step(), pair).isPresent();
                        assertThat(r.value("charge.residual", tags).getAsDouble()).as("residual %d %s", r.step(), pair)
                                .isLessThan(1e-5);
                        assertThat(r.value("symmetry.violation", tags).getAsDouble()).as("violation %d %s", r.step(),
                                pair).isLessThan(1e-3);
                        moved = Math.max(moved, Math.abs(r.value("charge.drift.rate", tags).getAsDouble()));
                    }
                }
            }
            assertThat(moved).as("the charges move by far more than the residual").isGreaterThan(1e-4);
            // the probe measures the projections over (sequence, token) samples: CRH, and per-head PAH in the event log
            for (String block : BLOCKS) {
                assertThat(monitor.value("crh.alignment", "layer", block + "_02queryProjection", "side", "b",
                        "relation", "rga")).as(block).isPresent();
                assertThat(monitor.value("pah.exponent", "layer", block + "_04resultProjection", "side", "a"))
                        .as(block).isPresent();
            }
            NoetherReport analysis;
            synchronized (analyses) {
                assertThat(analyses).isNotEmpty();
                analysis = analyses.get(analyses.size() - 1);
            }
            Map<?, ?> layerDetails = (Map<?, ?>) ((Map<?, ?>) analysis.toRecord().get("details")).get("layers");
            Map<?, ?> query = (Map<?, ?>) layerDetails.get(BLOCKS[1] + "_02queryProjection");
            Map<?, ?> heads = (Map<?, ?>) ((Map<?, ?>) query.get("pah")).get("heads");
            assertThat(heads.get("block")).isEqualTo(BLOCKS[1]);
            assertThat((List<?>) heads.get("heads")).hasSize(HEADS).allSatisfy(h ->
                    assertThat(((Map<?, ?>) h).get("log_lambda_g")).isInstanceOf(double[].class));
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP) + monitor.errors(Stage.ANALYSIS))
                    .isZero();
        }
    }

    @Test
    void smallStepFullBatchGradientDescentConservesTheAttentionCharges() {
        TeacherStudent data = TeacherStudent.generate(64, TOKENS * EMBEDDING, 2, 6);
        NoetherTrainingListener listener = listener(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), new ArrayList<>());
        try (DjlRun run = new DjlRun(encoder(), data, new Shape(TOKENS, EMBEDDING), sgd(0.01f, 0f), 4, listener)) {
            run.steps(500, 64);
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            assertThat(monitor.awaitSteps(Duration.ofSeconds(30))).isTrue();
            for (String block : BLOCKS) {
                for (String pair : List.of(block + ":qk", block + ":vo")) {
                    assertThat(monitor.value("charge.drift", "pair", pair, "symmetry", "double_rotation").getAsDouble())
                            .as(pair).isLessThan(1e-3);
                }
            }
        }
    }

    /** Ĝ_Q W̃_Qᵀ = W̃_K Ĝ_Kᵀ per true head of 4 (biases as a last column), not for one head of 8. */
    @Test
    void theNoetherIdentityHoldsForTheTrueHeadsAndNotForAWrongHeadSize() {
        TeacherStudent data = TeacherStudent.generate(64, TOKENS * EMBEDDING, 2, 7);
        SequentialBlock block = encoder();
        try (DjlRun run = new DjlRun(block, data, new Shape(TOKENS, EMBEDDING), sgd(0.05f, 0f), 8)) {
            run.steps(5, 64);
            run.backward(64);
            ScaledDotProductAttentionBlock attention = (ScaledDotProductAttentionBlock) block.getChildren().get(0)
                    .getValue().getChildren().get(0).getValue();
            double[][][] q = side(attention.getQueryProjection());
            double[][][] k = side(attention.getKeyProjection());
            double[][][] v = side(attention.getValueProjection());
            Linear o = attention.getResultProjection();
            float[] wo = o.getParameters().get("weight").getArray().toFloatArray();
            float[] go = o.getParameters().get("weight").getArray().getGradient().toFloatArray();
            double[][] xo = DoubleRotation.columns(wo, EMBEDDING, EMBEDDING, 1);
            double[][] gradO = DoubleRotation.columns(go, EMBEDDING, EMBEDDING, 1);
            int head = EMBEDDING / HEADS;
            assertThat(DoubleRotation.violation(q[0], q[1], k[0], k[1], head)).isLessThan(1e-3);
            assertThat(DoubleRotation.violation(v[0], v[1], xo, gradO, head)).isLessThan(1e-3);
            assertThat(DoubleRotation.violation(q[0], q[1], k[0], k[1], EMBEDDING)).isGreaterThan(0.05);
            assertThat(DoubleRotation.violation(v[0], v[1], xo, gradO, EMBEDDING)).isGreaterThan(0.05);
        }
    }

    /** W̃ = [W | b] and its gradient, as rows. */
    private static double[][][] side(Linear l) {
        var w = l.getParameters().get("weight").getArray();
        var b = l.getParameters().get("bias").getArray();
        return new double[][][] {
                DoubleRotation.rows(w.toFloatArray(), b.toFloatArray(), EMBEDDING, EMBEDDING, 1),
                DoubleRotation.rows(w.getGradient().toFloatArray(), b.getGradient().toFloatArray(), EMBEDDING,
                        EMBEDDING, 1)};
    }
}
