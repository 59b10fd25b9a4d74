package dev.noether.dl4j;

import dev.noether.core.runtime.SkipReason;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * METRICS.md §6 and §9.3 on DL4J: one {@code fit(iterator)} of 1,500 minibatches (about a second) gets one regular
 * analysis, at iteration 0 (the time floor skips the rest); the final analysis at its {@code onEpochEnd} shows
 * where it ended. The quadratic model ℓ = (u w x − y)² + (γ/2)(u² + w²) (DL4J's MSE has no ½, so the
 * threshold is γ_c = 2E[xy]) with x = y = 1: γ_c = 2; just above it the neuron ends dead, just below alive
 * (u w = 1 − γ/2).
 */
class Dl4jFinalAnalysisTest {
    private static final String[] HIDDEN = {"layer", "hidden"};
    private static final int STEPS = 1500;

    @Test
    void justAboveTheThresholdTheFinalAnalysisReportsTheNeuronDead() {
        NoetherMonitor m = fitOnce(2.2);
        assertThat(m.latestAnalysis().step()).isEqualTo(STEPS);
        assertThat(m.latestAnalysis().value("neurons.dead", HIDDEN).getAsDouble()).isEqualTo(1);
        assertThat(m.skipped(SkipReason.TIMEOUT)).isZero();
    }

    @Test
    void justBelowTheThresholdTheFinalAnalysisReportsTheNeuronAlive() {
        NoetherMonitor m = fitOnce(1.8);
        assertThat(m.latestAnalysis().step()).isEqualTo(STEPS);
        assertThat(m.latestAnalysis().value("neurons.dead", HIDDEN).getAsDouble()).isZero();
    }

    /**
     * Issue 21: every epoch end of {@code fit(iterator, 3)} writes the final-state record of its step; the next epoch
     * resumes at that very state, and its first observation updates the metrics without a second record. So the
     * 60 iterations and the end leave exactly one step record for each of steps 0..60.
     */
    @Test
    void eachStepNumberHasOneStepRecordAcrossEpochEnds() throws InterruptedException {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(4)
                .updater(new Sgd(0.05)).weightInit(WeightInit.XAVIER).list()
                .layer(new DenseLayer.Builder().name("hidden").nIn(3).nOut(5).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(5).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        List<dev.noether.core.runtime.NoetherReport> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
        NoetherListener listener = NoetherListener.builder().registry(new SimpleMeterRegistry())
                .config(NoetherConfig.builder().observeEvery(1).minAnalysisInterval(Duration.ZERO).build())
                .addListener(reports::add).build();
        net.addListeners(listener);
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            batches.add(new DataSet(Nd4j.rand(8, 3), Nd4j.rand(8, 2)));
        }
        net.fit(new ListDataSetIterator<>(batches, 1), 3);
        NoetherMonitor m = listener.monitor().orElseThrow();
        assertThat(m.awaitSteps(Duration.ofMinutes(1))).isTrue();
        List<Long> steps = reports.stream().filter(r -> r.kind() == dev.noether.core.runtime.NoetherReport.Kind.STEP)
                .map(dev.noether.core.runtime.NoetherReport::step).toList();
        assertThat(steps).doesNotHaveDuplicates().hasSize(61).containsAll(java.util.stream.LongStream.rangeClosed(0, 60)
                .boxed().toList());
        assertThat(reports).filteredOn(r -> r.toRecord().get("details") instanceof java.util.Map<?, ?> d
                        && d.containsKey("final"))
                .extracting(dev.noether.core.runtime.NoetherReport::step).containsExactly(20L, 40L, 60L);
        assertThat(m.supersededRecords()).isEqualTo(2);
        listener.close();
    }

    private static NoetherMonitor fitOnce(double gamma) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3)
                .updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).l2(gamma).list()
                .layer(new DenseLayer.Builder().name("hidden").nIn(1).nOut(1).hasBias(false)
                        .activation(Activation.IDENTITY).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(1).nOut(1)
                        .hasBias(false).activation(Activation.IDENTITY).build())
                .build());
        net.init();
        NoetherListener listener = NoetherListener.builder().registry(new SimpleMeterRegistry())
                .config(NoetherConfig.builder().minAnalysisInterval(Duration.ofHours(1)).build()).build();
        net.addListeners(listener);
        List<DataSet> batches = new ArrayList<>();
        for (int i = 0; i < STEPS; i++) {
            batches.add(new DataSet(Nd4j.ones(16, 1), Nd4j.ones(16, 1)));
        }
        net.fit(new ListDataSetIterator<>(batches, 1)); // one epoch: its onEpochEnd is the end of this fit
        NoetherMonitor m = listener.monitor().orElseThrow();
        assertThat(m.latestAnalysis().step()).as("analysed at the end of fit, before close").isEqualTo(STEPS);
        assertThat(listener.finish()).as("the same state is not analysed twice").isFalse();
        listener.close();
        return m;
    }
}
