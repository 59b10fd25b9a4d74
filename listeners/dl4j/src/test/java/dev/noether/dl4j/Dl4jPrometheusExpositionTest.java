package dev.noether.dl4j;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Prometheus exposition of a trained MLP with three hidden layers (two intermediate layers, the fewest
 * for which {@code norm.imbalance} is defined) has every metric family of the catalogue (CONTEXT.md,
 * METRICS.md §7) with exactly the catalogue's label names, so DL4J and DJL dashboards read the same series.
 */
class Dl4jPrometheusExpositionTest {
    /** Sample name → label names, from the catalogue ({@link MetricFamily}: every family, and model). */
    static final Map<String, Set<String>> CATALOGUE = catalogue();
    /** Present only under conditions a plain MLP run does not guarantee (METRICS.md §3, §5). */
    static final Set<String> CONDITIONAL = Set.of(
            "noether_layer_effective_learning_rate",   // only scale-invariant layers: see the batch-norm test
            "noether_pah_exponent_predicted",          // only in a phase that predicts an exponent
            "noether_rotation_violation",              // only rotation pairs (identity, no bias): DJL's catalogue test
            "noether_heads_dead",                      // only attention blocks: DJL's TransformerEncoderTest scrapes them
            "noether_heads_distinct");

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+\\S+");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @Test
    void everyCatalogueFamilyIsExportedWithExactlyItsLabelNames() throws InterruptedException {
        Map<String, Set<Set<String>>> exposed = exposition(false);
        Set<String> missing = new TreeSet<>();
        for (Map.Entry<String, Set<String>> e : CATALOGUE.entrySet()) {
            if (!exposed.containsKey(e.getKey())) {
                if (!CONDITIONAL.contains(e.getKey())) {
                    missing.add(e.getKey());
                }
                continue;
            }
            assertThat(exposed.get(e.getKey())).as(e.getKey()).containsOnly(e.getValue());
        }
        assertThat(missing).as("catalogue families missing from the exposition").isEmpty();
        assertThat(exposed.keySet()).as("families outside the catalogue").allMatch(CATALOGUE::containsKey);
    }

    @Test
    void aLayerBeforeBatchNormHasAnEffectiveLearningRate() throws InterruptedException {
        Map<String, Set<Set<String>>> exposed = exposition(true);
        assertThat(exposed.get("noether_layer_effective_learning_rate")).containsOnly(layer());
    }

    /** Trains until a heavy analysis is published, then parses the scrape: sample name → label-name sets. */
    private static Map<String, Set<Set<String>>> exposition(boolean batchNorm) throws InterruptedException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NoetherListener listener = NoetherListener.builder().registry(registry).modelName("mlp")
                .config(NoetherConfig.builder().analysisEvery(10).observeEvery(1).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build()).build();
        MultiLayerNetwork net = mlp(batchNorm);
        net.addListeners(listener);
        DataSet data = TeacherStudent.data(256, 6, 3, 31);
        for (int t = 0; t < 40; t++) {
            net.fit(TeacherStudent.batch(data, 32 * t, 32));
        }
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while ((monitor.latestAnalysis() == null || monitor.isAnalysisRunning()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(monitor.latestAnalysis()).as("a heavy analysis finished").isNotNull();
        net.fit(data); // one more step so every gauge registered by the analysis is bound
        String scrape = registry.scrape();
        listener.close();
        Map<String, Set<Set<String>>> out = new TreeMap<>();
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.find() || !m.group(1).startsWith("noether_")) {
                continue;
            }
            Set<String> labels = new TreeSet<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
            out.computeIfAbsent(m.group(1), k -> new java.util.HashSet<>()).add(labels);
        }
        assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.ANALYSIS)).isZero();
        return out;
    }

    private static MultiLayerNetwork mlp(boolean batchNorm) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(7).updater(new Sgd(0.05))
                .l2(1e-3).weightInit(WeightInit.XAVIER).biasInit(0.1).list()
                .layer(new DenseLayer.Builder().name("fc1").nIn(6).nOut(16).activation(Activation.RELU).build());
        if (batchNorm) {
            list.layer(new BatchNormalization.Builder().name("bn").nOut(16).build());
        }
        list.layer(new DenseLayer.Builder().name("fc2").nIn(16).nOut(16).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().name("fc3").nIn(16).nOut(16).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("fc4").nIn(16).nOut(3)
                        .activation(Activation.IDENTITY).build());
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }

    private static Map<String, Set<String>> catalogue() {
        Map<String, Set<String>> catalogue = new TreeMap<>();
        for (MetricFamily family : MetricFamily.values()) {
            Set<String> labels = new TreeSet<>(family.tagKeys());
            labels.add("model");
            family.prometheusSamples().forEach(sample -> catalogue.put(sample, labels));
        }
        return catalogue;
    }

    private static Set<String> layer(String... more) {
        Set<String> s = new TreeSet<>(Set.of("model", "layer"));
        s.addAll(Set.of(more));
        return s;
    }
}
