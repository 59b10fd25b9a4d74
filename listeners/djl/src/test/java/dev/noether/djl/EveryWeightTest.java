package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.PairList;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.UnsupportedLayer;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * METRICS.md §12 on DJL: nothing trainable is invisible. Blocks Noether does not know are named once and their
 * weights get weight-only metrics; blocks inside blocks are mapped; LSTM and GRU are recurrent layers with their
 * layer metrics and unit census. All trained on generated data.
 */
class EveryWeightTest {
    private static final NoetherConfig OFTEN = NoetherConfig.builder().observeEvery(1).analysisEvery(5)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();
    private static final int STEPS = 6;
    private static final int FEATURES = 3;

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
    }

    /** x·A·B: a user's own block holding two weights, which no adapter can place. */
    static final class TwoWeights extends AbstractBlock {
        private final Parameter a;
        private final Parameter b;

        TwoWeights(int in, int hidden, int out) {
            a = addParameter(Parameter.builder().setName("a").setType(Parameter.Type.WEIGHT)
                    .optInitializer(new NormalInitializer(0.3f)).optShape(new Shape(in, hidden)).build());
            b = addParameter(Parameter.builder().setName("b").setType(Parameter.Type.WEIGHT)
                    .optInitializer(new NormalInitializer(0.3f)).optShape(new Shape(hidden, out)).build());
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            NDArray wa = store.getValue(a, x.getDevice(), training);
            NDArray wb = store.getValue(b, x.getDevice(), training);
            return new NDList(x.matMul(wa).matMul(wb));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputs) {
            return new Shape[] {new Shape(inputs[0].get(0), b.getArray().getShape().get(1))};
        }
    }

    /** x + body(x): a composite whose forward is its own code, with a mappable child. */
    static final class Residual extends AbstractBlock {
        private final Block body;

        Residual(int width) {
            body = addChildBlock("body", new SequentialBlock().add(Linear.builder().setUnits(width).build())
                    .add(Activation.reluBlock()).add(Linear.builder().setUnits(width).build()));
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            return new NDList(x.add(body.forward(store, inputs, training).singletonOrThrow()));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputs) {
            return inputs;
        }

        @Override
        public void initializeChildBlocks(ai.djl.ndarray.NDManager manager, ai.djl.ndarray.types.DataType dataType, Shape... inputShapes) {
            body.initialize(manager, dataType, inputShapes);
        }
    }

    private static SequentialBlock withCustomBlocks() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                .add(new Residual(16))
                .add(new TwoWeights(16, 8, 4));
    }

    @Test
    void aBlockNobodyMappedGetsWeightOnlyMetricsAndABlockInsideABlockIsMapped() throws InterruptedException {
        TeacherStudent data = TeacherStudent.generate(128, 8, 4, 81);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(registry).config(OFTEN).build();
        try (DjlRun run = new DjlRun(withCustomBlocks(), data, sgd(), 3, listener)) {
            NoetherMonitor monitor = Analyses.trainAndAnalyseLastStep(run, listener, 5 * STEPS, 16);
            List<String> layers = monitor.description().layers().stream().map(DenseLayer::name).toList();
            // the two weights of the opaque block are weight-only layers, named after their parameters
            assertThat(layers).contains("04TwoWeights_a", "04TwoWeights_b");
            // the composite's child is mapped inside: both Linear layers and the ReLU pair between them
            List<String> inner = layers.stream().filter(n -> n.startsWith("03Residual_")).toList();
            assertThat(inner).hasSize(2);
            assertThat(monitor.description().pairs()).anySatisfy(p -> {
                assertThat(p.first().name()).isEqualTo(inner.get(0));
                assertThat(p.second().name()).isEqualTo(inner.get(1));
            });
            // named once each, with the reason
            assertThat(monitor.description().unsupported()).extracting(UnsupportedLayer::name)
                    .containsExactly("03Residual", "04TwoWeights");
            assertThat(monitor.description().unsupported().get(1).reason())
                    .contains("TwoWeights is not modelled").contains("04TwoWeights_a, 04TwoWeights_b");
            for (String layer : layers) {
                assertThat(monitor.value("layer.weight.norm", "layer", layer)).as(layer).isPresent();
                assertThat(monitor.value("layer.update.ratio", "layer", layer).orElseThrow()).as(layer).isPositive();
                assertThat(monitor.value("layer.effective.rank", "layer", layer)).as(layer).isPresent();
                assertThat(monitor.value("layer.stable.rank", "layer", layer)).as(layer).isPresent();
            }
            // weight-only: no census, no probe metrics
            assertThat(monitor.value("neurons.dead", "layer", "04TwoWeights_a")).isEmpty();
            assertThat(registry.scrape())
                    .contains("noether_layer_info{kind=\"other\",layer=\"04TwoWeights_a\",model=\"mlp\",shape=\"16x8\"} 1")
                    .contains("noether_layer_info{kind=\"other\",layer=\"04TwoWeights_b\",model=\"mlp\",shape=\"8x4\"} 1");
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.ANALYSIS)).isZero();
        }
    }

    @Test
    void theWeightOnlyNormIsTheParametersOwnNorm() {
        TeacherStudent data = TeacherStudent.generate(64, 8, 4, 82);
        NoetherTrainingListener listener = NoetherTrainingListener.builder()
                .registry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).config(OFTEN).build();
        try (DjlRun run = new DjlRun(withCustomBlocks(), data, sgd(), 3, listener)) {
            run.steps(3, 16);
            run.backward(16); // observed, not updated: the parameters now are the step's θ
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            TwoWeights block = (TwoWeights) run.model.getBlock().getChildren().get(3).getValue();
            float[] a = block.a.getArray().toFloatArray();
            double norm = 0;
            for (float v : a) {
                norm += (double) v * v;
            }
            assertThat(monitor.value("layer.weight.norm", "layer", "04TwoWeights_a").orElseThrow())
                    .isCloseTo(Math.sqrt(norm), within(1e-5 * Math.sqrt(norm)));
        }
    }

    @Test
    void trainingIsBitForBitTheSameWithTheListener() {
        TeacherStudent data = TeacherStudent.generate(64, 8, 4, 83);
        List<float[]> without;
        try (DjlRun run = new DjlRun(withCustomBlocks(), data, sgd(), 3)) {
            run.steps(12, 16);
            without = run.parameters();
        }
        NoetherTrainingListener listener = NoetherTrainingListener.builder()
                .registry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).config(OFTEN).build();
        try (DjlRun run = new DjlRun(withCustomBlocks(), data, sgd(), 3, listener)) {
            run.steps(12, 16);
            assertThat(listener.monitor().orElseThrow().steps()).isEqualTo(12);
            assertThat(run.parameters()).usingRecursiveComparison().isEqualTo(without);
        }
    }

    private static SequentialBlock recurrent(Block cell) {
        return new SequentialBlock().add(cell).add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(4).build());
    }

    @Test
    void anLstmIsARecurrentLayerWithItsMetricsAndUnitCensus() throws InterruptedException {
        TeacherStudent data = TeacherStudent.generate(128, 6 * FEATURES, 4, 84);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(registry).config(OFTEN).build();
        Block lstm = LSTM.builder().setStateSize(8).setNumLayers(1).optBatchFirst(true).build();
        try (DjlRun run = new DjlRun(recurrent(lstm), data, new Shape(6, FEATURES), sgd(), 3, listener)) {
            NoetherMonitor monitor = Analyses.trainAndAnalyseLastStep(run, listener, 5 * STEPS, 16);
            DenseLayer layer = monitor.description().layers().get(0);
            assertThat(layer.name()).isEqualTo("01LSTM");
            assertThat(layer.gates()).isEqualTo(4);
            assertThat(layer.units()).isEqualTo(8);
            assertThat(layer.inputs()).isEqualTo(FEATURES + 8);
            assertThat(monitor.description().unsupported()).isEmpty();
            for (String name : List.of("01LSTM", "03Linear")) {
                assertThat(monitor.value("layer.weight.norm", "layer", name)).as(name).isPresent();
                assertThat(monitor.value("layer.update.ratio", "layer", name).orElseThrow()).as(name).isPositive();
                assertThat(monitor.value("layer.effective.rank", "layer", name)).as(name).isPresent();
            }
            assertThat(monitor.value("neurons.dead", "layer", "01LSTM").orElseThrow()).isZero();
            assertThat(monitor.value("neurons.distinct", "layer", "01LSTM").orElseThrow()).isEqualTo(8);
            assertThat(monitor.description().pairs()).isEmpty(); // sigmoid/tanh gates: no continuous symmetry
            assertThat(registry.scrape()).contains("noether_layer_info{kind=\"lstm\",layer=\"01LSTM\",model=\"mlp\",shape=\"32x11\"} 1");
            // the probe writes the cell out: CRH, PAH and FDT of the recurrent layer over (sequence, step) samples
            for (String relation : List.of("rga", "rwa", "gwa")) {
                assertThat(monitor.value("crh.alignment", "layer", "01LSTM", "side", "b", "relation", relation))
                        .as(relation).isPresent();
            }
            assertThat(monitor.value("crh.alignment", "layer", "01LSTM", "side", "a", "relation", "rwa")).isPresent();
            assertThat(monitor.value("pah.exponent", "layer", "01LSTM", "side", "b")).isPresent();
            assertThat(monitor.value("fdt.residual", "layer", "01LSTM", "side", "b")).isPresent();
            run.backward(16);
            // the norm of W = [W_ih W_hh] is that of both parameters together
            double sq = 0;
            for (var p : run.model.getBlock().getChildren().get(0).getValue().getDirectParameters()) {
                if (p.getKey().endsWith("WEIGHT")) {
                    for (float v : p.getValue().getArray().toFloatArray()) {
                        sq += (double) v * v;
                    }
                }
            }
            assertThat(monitor.value("layer.weight.norm", "layer", "01LSTM").orElseThrow())
                    .isCloseTo(Math.sqrt(sq), within(1e-5 * Math.sqrt(sq)));
        }
    }

    @Test
    void aGruIsTwoLayers() throws InterruptedException {
        TeacherStudent data = TeacherStudent.generate(128, 6 * FEATURES, 4, 85);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(registry).config(OFTEN).build();
        Block gru = GRU.builder().setStateSize(8).setNumLayers(1).optBatchFirst(true).build();
        try (DjlRun run = new DjlRun(recurrent(gru), data, new Shape(6, FEATURES), sgd(), 3, listener)) {
            NoetherMonitor monitor = Analyses.trainAndAnalyseLastStep(run, listener, 5 * STEPS, 16);
            assertThat(monitor.description().layers()).extracting(DenseLayer::name)
                    .containsExactly("01GRU_x", "01GRU_h", "03Linear");
            assertThat(monitor.description().layers().get(0).shape()).isEqualTo("24x3");
            assertThat(monitor.description().layers().get(1).shape()).isEqualTo("24x8");
            for (String name : List.of("01GRU_x", "01GRU_h")) {
                assertThat(monitor.value("layer.weight.norm", "layer", name)).as(name).isPresent();
                assertThat(monitor.value("layer.stable.rank", "layer", name)).as(name).isPresent();
            }
            assertThat(monitor.value("neurons.distinct", "layer", "01GRU_h").orElseThrow()).isEqualTo(8);
            assertThat(registry.scrape()).contains("noether_layer_info{kind=\"gru\",layer=\"01GRU_x\"");
            for (String name : List.of("01GRU_x", "01GRU_h")) { // both layers of the written-out cell
                assertThat(monitor.value("crh.alignment", "layer", name, "side", "b", "relation", "rga")).as(name).isPresent();
                assertThat(monitor.value("pah.exponent", "layer", name, "side", "a")).as(name).isPresent();
            }
        }
    }
}
