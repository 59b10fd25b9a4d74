package dev.noether.dl4j;

import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.UnsupportedLayer;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer.Builder;
import org.deeplearning4j.nn.conf.layers.EmbeddingLayer;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * METRICS.md §12 on DL4J: recurrent layers (LSTM, GravesLSTM, SimpleRnn, Bidirectional, LastTimeStep) and
 * RnnOutputLayer are measured, embeddings and SameDiff layers get weight-only metrics and are named once; every
 * network trains on generated data, with the same parameters as without the listener.
 */
class Dl4jEveryWeightTest {
    private static final NoetherConfig OFTEN = NoetherConfig.builder().observeEvery(1).analysisEvery(5)
            .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();
    private static final int FEATURES = 3;
    private static final int STEPS = 8;
    private static final int UNITS = 8;
    private static final DataSet DATA = SequenceTask.data(96, FEATURES, STEPS, 5);

    private static MultiLayerNetwork network(Layer... layers) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(12).updater(new Sgd(0.05))
                .weightInit(WeightInit.XAVIER).list();
        for (Layer l : layers) {
            list.layer(l);
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }

    private static RnnOutputLayer rnnOut(int nIn) {
        return new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(nIn).nOut(2)
                .activation(Activation.IDENTITY).build();
    }

    /** Trains {@code iterations} minibatches of 16 sequences; returns the listener's monitor. */
    private static NoetherMonitor train(MultiLayerNetwork net, NoetherListener listener, int iterations,
                                        Supplier<DataSet> data) {
        net.addListeners(listener);
        for (int t = 0; t < iterations; t++) {
            net.fit(data.get());
            Dl4jTrainingUnchangedTest.awaitAnalysis(listener);
        }
        return listener.monitor().orElseThrow();
    }

    private static NoetherListener listener(PrometheusMeterRegistry registry) {
        return NoetherListener.builder().registry(registry).modelName("seq").config(OFTEN).build();
    }

    private static Supplier<DataSet> batches(DataSet all) {
        int[] next = {0};
        return () -> {
            DataSet b = SequenceTask.batch(all, next[0], 16);
            next[0] += 16;
            return b;
        };
    }

    private static void assertLayerMetrics(NoetherMonitor monitor, List<String> layers) {
        for (String layer : layers) {
            assertThat(monitor.value("layer.weight.norm", "layer", layer)).as(layer).isPresent();
            assertThat(monitor.value("layer.update.ratio", "layer", layer).orElseThrow()).as(layer).isPositive();
            assertThat(monitor.value("layer.effective.rank", "layer", layer)).as(layer).isPresent();
            assertThat(monitor.value("layer.stable.rank", "layer", layer)).as(layer).isPresent();
        }
    }

    @Test
    void anLstmWithAnRnnOutputLayerIsMeasuredLayerByLayer() {
        MultiLayerNetwork net = network(
                new LSTM.Builder().name("lstm").nIn(FEATURES).nOut(UNITS).activation(Activation.TANH).build(),
                rnnOut(UNITS));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NoetherListener listener = listener(registry);
        Supplier<DataSet> data = batches(DATA);
        NoetherMonitor monitor = train(net, listener, 19, data);
        // the last observed step's θ is the parameters before its update
        INDArray w = net.getLayer(0).getParam("W").dup();
        INDArray rw = net.getLayer(0).getParam("RW").dup();
        net.fit(data.get());
        Dl4jTrainingUnchangedTest.awaitAnalysis(listener);

        assertThat(monitor.description().unsupported()).isEmpty();
        assertThat(monitor.description().layers()).extracting(DenseLayer::name).containsExactly("lstm", "out");
        DenseLayer lstm = monitor.description().layers().get(0);
        assertThat(lstm.gates()).isEqualTo(4);
        assertThat(lstm.shape()).isEqualTo((4 * UNITS) + "x" + (FEATURES + UNITS));
        assertLayerMetrics(monitor, List.of("lstm", "out"));
        double sq = w.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).norm2Number().doubleValue();
        double rsq = rw.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).norm2Number().doubleValue();
        double norm = Math.sqrt(sq * sq + rsq * rsq);
        assertThat(monitor.value("layer.weight.norm", "layer", "lstm").orElseThrow()).isCloseTo(norm, within(1e-5 * norm));
        assertThat(monitor.value("neurons.dead", "layer", "lstm").orElseThrow()).isZero();
        assertThat(monitor.value("neurons.distinct", "layer", "lstm").orElseThrow()).isEqualTo(UNITS);
        String scrape = registry.scrape();
        assertThat(scrape).contains("noether_layer_info{kind=\"lstm\",layer=\"lstm\",model=\"seq\",shape=\"32x11\"} 1")
                .contains("noether_layer_info{kind=\"dense\",layer=\"out\",model=\"seq\",shape=\"2x8\"} 1")
                .containsPattern("noether_info\\{[^}]*optimizer=\"sgd\"");
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP) + monitor.errors(Stage.ANALYSIS)).isZero();
    }

    @Test
    void gravesLstmAndSimpleRnnAreRecurrentLayersToo() {
        MultiLayerNetwork net = network(
                new GravesLSTM.Builder().name("graves").nIn(FEATURES).nOut(UNITS).activation(Activation.TANH).build(),
                new SimpleRnn.Builder().name("rnn").nIn(UNITS).nOut(UNITS).activation(Activation.TANH).build(),
                rnnOut(UNITS));
        NoetherMonitor monitor = train(net, listener(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), 20,
                batches(DATA));
        assertThat(monitor.description().layers()).extracting(l -> l.name() + ":" + l.kind().tag() + ":" + l.shape())
                .containsExactly("graves:lstm:32x11", "rnn:rnn:8x16", "out:dense:2x8");
        assertLayerMetrics(monitor, List.of("graves", "rnn", "out"));
        assertThat(monitor.value("neurons.distinct", "layer", "rnn")).isPresent();
    }

    @Test
    void aBidirectionalLstmIsTwoLayersAndLastTimeStepIsAWrapper() {
        DataSet lastStep = SequenceTask.data(96, FEATURES, STEPS, 6);
        // a label per sequence: its last unmasked step's target
        MultiLayerNetwork net = network(
                new Bidirectional(Bidirectional.Mode.CONCAT,
                        new LSTM.Builder().name("bi").nIn(FEATURES).nOut(UNITS).activation(Activation.TANH).build()),
                new LastTimeStep(new LSTM.Builder().nIn(2 * UNITS).nOut(UNITS).activation(Activation.TANH).build()),
                new Builder().name("fc").nIn(UNITS).nOut(UNITS).activation(Activation.RELU).build(),
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(UNITS).nOut(2)
                        .activation(Activation.IDENTITY).build());
        int[] next = {0};
        Supplier<DataSet> data = () -> {
            DataSet b = SequenceTask.batch(lastStep, next[0], 16);
            next[0] += 16;
            INDArray y = b.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(STEPS - 1));
            return new DataSet(b.getFeatures(), y.dup(), Nd4j.ones(16, STEPS), null);
        };
        NoetherMonitor monitor = train(net, listener(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), 20, data);
        List<String> names = monitor.description().layers().stream().map(DenseLayer::name).toList();
        assertThat(names).containsExactly("layer0_f", "layer0_b", "layer1", "fc", "out");
        assertThat(monitor.description().layers().get(2).kind().tag()).isEqualTo("lstm");
        assertThat(monitor.description().layers().get(2).inputs()).isEqualTo(2 * UNITS + UNITS);
        assertLayerMetrics(monitor, names);
        // the dense head keeps its ReLU pair
        assertThat(monitor.value("charge", "pair", "fc:out", "symmetry", "rescaling")).isPresent();
        assertThat(monitor.description().unsupported()).isEmpty();
    }

    @Test
    void anEmbeddingIsAWeightOnlyLayerNamedOnce() {
        int vocabulary = 12;
        java.util.Random r = new java.util.Random(9);
        float[] x = new float[128];
        float[] y = new float[128 * 2];
        for (int s = 0; s < x.length; s++) {
            int token = r.nextInt(vocabulary);
            x[s] = token;
            y[2 * s] = token % 2;
            y[2 * s + 1] = token / (float) vocabulary;
        }
        DataSet tokens = new DataSet(Nd4j.create(x, new long[] {128, 1}), Nd4j.create(y, new long[] {128, 2}));
        MultiLayerNetwork net = network(
                new EmbeddingLayer.Builder().name("emb").nIn(vocabulary).nOut(6).build(),
                new Builder().name("fc").nIn(6).nOut(UNITS).activation(Activation.RELU).build(),
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(UNITS).nOut(2)
                        .activation(Activation.IDENTITY).build());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        int[] next = {0};
        NoetherMonitor monitor = train(net, listener(registry), 20, () -> TeacherStudent.batch(tokens, 16 * next[0]++, 16));
        assertThat(monitor.description().unsupported()).extracting(UnsupportedLayer::name).containsExactly("emb");
        assertThat(monitor.description().unsupported().get(0).reason()).contains("weight metrics only for emb");
        assertThat(monitor.description().layers()).extracting(DenseLayer::name).containsExactly("fc", "out", "emb");
        assertLayerMetrics(monitor, List.of("fc", "out", "emb"));
        assertThat(monitor.value("charge", "pair", "fc:out", "symmetry", "rescaling")).isPresent();
        // DL4J's (nIn, nOut) = (vocabulary, 6), transposed as METRICS.md §0
        assertThat(registry.scrape()).contains("noether_layer_info{kind=\"embedding\",layer=\"emb\",model=\"seq\",shape=\"6x12\"} 1");
    }

    private static MultiLayerNetwork sameDiffNetwork() {
        return network(
                new Builder().name("fc1").nIn(6).nOut(16).activation(Activation.RELU).build(),
                new SameDiffDense(16, 12),
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(12).nOut(3)
                        .activation(Activation.IDENTITY).build());
    }

    @Test
    void aSameDiffLayerGetsWeightOnlyMetricsAndTrainingIsUnchanged() {
        DataSet data = TeacherStudent.data(128, 6, 3, 31);
        MultiLayerNetwork plain = sameDiffNetwork();
        Nd4j.getRandom().setSeed(3);
        for (int t = 0; t < 15; t++) {
            plain.fit(TeacherStudent.batch(data, 16 * t, 16));
        }
        MultiLayerNetwork watched = sameDiffNetwork();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NoetherListener listener = listener(registry);
        watched.addListeners(listener);
        Nd4j.getRandom().setSeed(3);
        for (int t = 0; t < 15; t++) {
            watched.fit(TeacherStudent.batch(data, 16 * t, 16));
            Dl4jTrainingUnchangedTest.awaitAnalysis(listener);
        }
        assertThat(watched.params().dup().data().asFloat()).containsExactly(plain.params().dup().data().asFloat());
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        assertThat(monitor.description().unsupported()).extracting(UnsupportedLayer::name).containsExactly("layer1");
        assertThat(monitor.description().unsupported().get(0).reason())
                .startsWith("SameDiffDense is not modelled").contains("weight metrics only for layer1");
        assertThat(monitor.description().layers()).extracting(DenseLayer::name).containsExactly("fc1", "out", "layer1");
        assertLayerMetrics(monitor, List.of("fc1", "out", "layer1"));
        assertThat(registry.scrape()).contains("noether_layer_info{kind=\"other\",layer=\"layer1\",model=\"seq\",shape=\"12x16\"} 1");
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.STEP) + monitor.errors(Stage.ANALYSIS)).isZero();
    }
}
