package dev.noether.dl4j;

import dev.noether.core.model.AttentionBlock;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.physics.DoubleRotation;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import dev.noether.core.runtime.Stage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SelfAttentionLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * METRICS.md §12 and §9.8 on a real DL4J {@code SelfAttentionLayer} (2 heads of 3) trained on generated sequences:
 * its four projections are layers with metrics, its Q/K and V/O double-rotation charges follow the exact plain-SGD
 * identity with L2 at every step, small-step full-batch GD conserves them, and the Noether identity holds for the
 * true heads but not for a wrong head size.
 */
class Dl4jSelfAttentionTest {
    private static final int FEATURES = 6;
    private static final int HEADS = 2;
    private static final int HEAD = 3;
    private static final int TOKENS = 5;
    private static final String[] QK = {"pair", "attn:qk", "symmetry", "double_rotation"};
    private static final String[] VO = {"pair", "attn:vo", "symmetry", "double_rotation"};

    private static MultiLayerNetwork network(double eta, double l2) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).dataType(DataType.FLOAT)
                .updater(new Sgd(eta)).l2(l2).l2Bias(l2 / 2).weightInit(WeightInit.XAVIER).list()
                .layer(new SelfAttentionLayer.Builder().name("attn").nOut(FEATURES).nHeads(HEADS).headSize(HEAD)
                        .projectInput(true).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).name("pool").build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nOut(2)
                        .activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(FEATURES, TOKENS)).build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Sequences of random tokens; the targets are the first token's first two features times the last token's. */
    private static DataSet data(int samples, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, samples, FEATURES, TOKENS);
        INDArray y = Nd4j.zeros(DataType.FLOAT, samples, 2);
        for (int s = 0; s < samples; s++) {
            for (int k = 0; k < 2; k++) {
                y.putScalar(s, k, x.getFloat(s, k, 0) * x.getFloat(s, k + 2, TOKENS - 1));
            }
        }
        return new DataSet(x, y);
    }

    private static NoetherListener listener(List<NoetherReport> steps) {
        return NoetherListener.builder().registry(new SimpleMeterRegistry()).modelName("attention")
                .config(NoetherConfig.builder().analysisEvery(50).observeEvery(1).build())
                .addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        steps.add(r);
                    }
                }).build();
    }

    @Test
    void everyProjectionIsALayerAndTheDoubleRotationChargesFollowTheSgdIdentityAtEveryStep() {
        MultiLayerNetwork net = network(0.05, 0.01);
        DataSet data = data(256, 1);
        List<NoetherReport> steps = new CopyOnWriteArrayList<>();
        NoetherListener listener = listener(steps);
        net.addListeners(listener);
        for (int t = 0; t < 60; t++) {
            net.fit(data.getRange((16 * t) % 256, (16 * t) % 256 + 16));
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.awaitSteps(Duration.ofSeconds(20))).isTrue();
        List<AttentionBlock> blocks = monitor.description().attention();
        assertThat(blocks).hasSize(1);
        assertThat(blocks.get(0).heads()).isEqualTo(HEADS);
        assertThat(monitor.description().layers()).extracting(l -> l.name() + " " + l.shape() + " " + l.kind().tag())
                .containsExactly("attn/query 6x6 dense", "attn/key 6x6 dense", "attn/value 6x6 dense",
                        "attn/output 6x6 dense", "out 2x6 dense");
        assertThat(steps).hasSize(60);
        NoetherReport last = steps.get(steps.size() - 1);
        for (String layer : List.of("attn/query", "attn/key", "attn/value", "attn/output", "out")) {
            assertThat(last.value("layer.weight.norm", "layer", layer)).as(layer).isPresent();
            assertThat(last.value("layer.update.ratio", "layer", layer).getAsDouble()).as(layer).isPositive();
        }
        double moved = 0;
        for (NoetherReport r : steps.subList(1, steps.size())) {
            for (String[] pair : List.of(QK, VO)) {
                assertThat(r.value("charge.residual", pair)).as("step %d %s", r.step(), pair[1]).isPresent();
                assertThat(r.value("charge.residual", pair).getAsDouble()).as("residual, step %d %s", r.step(), pair[1])
                        .isLessThan(1e-5);
                assertThat(r.value("symmetry.violation", pair).getAsDouble()).as("violation, step %d %s", r.step(),
                        pair[1]).isLessThan(1e-3);
                moved = Math.max(moved, Math.abs(r.value("charge.drift.rate", pair).getAsDouble()));
            }
        }
        assertThat(moved).as("the charges move by far more than the residual").isGreaterThan(1e-4);
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP)).isZero();
        listener.close();
    }

    @Test
    void fullBatchGradientDescentWithASmallStepConservesBothCharges() {
        MultiLayerNetwork net = network(0.01, 0);
        DataSet data = data(64, 2);
        NoetherListener listener = listener(new CopyOnWriteArrayList<>());
        net.addListeners(listener);
        for (int t = 0; t < 500; t++) {
            net.fit(data);
        }
        listener.close();
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.value("charge.drift", QK).getAsDouble()).isLessThan(1e-3);
        assertThat(monitor.value("charge.drift", VO).getAsDouble()).isLessThan(1e-3);
        assertThat(monitor.value("layer.update.ratio", "layer", "attn/query").getAsDouble()).isPositive();
    }

    /** The identity Ĝ_Q W_Qᵀ = W_K Ĝ_Kᵀ holds per true head, and fails when core is told one head of 6. */
    @Test
    void theNoetherIdentityHoldsForTheTrueHeadsAndNotForAWrongHeadSize() {
        MultiLayerNetwork net = network(0.05, 0);
        DataSet data = data(32, 3);
        for (int t = 0; t < 5; t++) {
            net.fit(data);
        }
        net.setInput(data.getFeatures());
        net.setLabels(data.getLabels());
        net.computeGradientAndScore();
        Dl4jGraph graph = Dl4jNetworkMapper.map(net, "attention");
        StepSnapshot s = Dl4jStepCapture.captureArrays(graph, OptimizerSettings.unknown());
        LayerSnapshot q = s.layer(0);
        LayerSnapshot k = s.layer(1);
        LayerSnapshot v = s.layer(2);
        LayerSnapshot o = s.layer(3);
        int d = HEADS * HEAD;
        double[][] xq = DoubleRotation.rows(q.weight(), null, d, FEATURES, 1);
        double[][] gq = DoubleRotation.rows(q.weightGradient(), null, d, FEATURES, q.gradientScale());
        double[][] xk = DoubleRotation.rows(k.weight(), null, d, FEATURES, 1);
        double[][] gk = DoubleRotation.rows(k.weightGradient(), null, d, FEATURES, k.gradientScale());
        double[][] xv = DoubleRotation.rows(v.weight(), null, d, FEATURES, 1);
        double[][] gv = DoubleRotation.rows(v.weightGradient(), null, d, FEATURES, v.gradientScale());
        double[][] xo = DoubleRotation.columns(o.weight(), FEATURES, d, 1);
        double[][] go = DoubleRotation.columns(o.weightGradient(), FEATURES, d, o.gradientScale());
        assertThat(DoubleRotation.violation(xq, gq, xk, gk, HEAD)).isLessThan(1e-3);
        assertThat(DoubleRotation.violation(xv, gv, xo, go, HEAD)).isLessThan(1e-3);
        assertThat(DoubleRotation.violation(xq, gq, xk, gk, d)).isGreaterThan(0.05);
        assertThat(DoubleRotation.violation(xv, gv, xo, go, d)).isGreaterThan(0.05);
    }
}
