package dev.noether.djl;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.core.Linear;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.model.UnsupportedLayer;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Layers Noether cannot model, and failures inside the listener, never stop training. */
class UnsupportedLayersTest {
    private static final NoetherConfig OFTEN =
            NoetherConfig.builder().observeEvery(1).analysisEvery(5).minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();
    private static final TeacherStudent DATA = TeacherStudent.generate(128, 8, 4, 81);

    private static Optimizer sgd() {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
    }

    @Test
    void aCustomLambdaIsNamedAndSkippedAndTheConvolutionAfterItIsStillALayer() throws InterruptedException {
        SequentialBlock block = new SequentialBlock()
                .add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                .add(new LambdaBlock(x -> new NDList(x.singletonOrThrow().reshape(-1, 1, 16)), "toChannels"))
                .add(Conv1d.builder().setKernelShape(new Shape(3)).setFilters(2).build())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(16).build()).add(Activation.reluBlock())
                .add(Linear.builder().setUnits(4).build());
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(registry).config(OFTEN).build();
        try (DjlRun run = new DjlRun(block, DATA, sgd(), 3, listener)) {
            run.steps(40, 16);
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            Analyses.awaitIdle(monitor);

            assertThat(monitor.steps()).isEqualTo(40);
            assertThat(monitor.description().unsupported()).extracting(UnsupportedLayer::name)
                    .containsExactly("03LambdaBlock");
            assertThat(registry.scrape()).containsPattern("noether_info\\{[^}]*unsupported=\"03LambdaBlock\"");
            // the probe runs through the unknown lambda too, so the layers after it still get their moments
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.ANALYSIS)).isZero();
            assertThat(monitor.value("crh.alignment", "layer", "06Linear", "side", "b", "relation", "rga"))
                    .isPresent();
            assertThat(monitor.value("charge", "pair", "06Linear:08Linear", "symmetry", "rescaling")).isPresent();
            // conv1d → flatten → dense: a pair whose u_i are the 14 positions of channel i
            assertThat(monitor.value("charge", "pair", "04Conv1d:06Linear", "symmetry", "rescaling")).isPresent();
            assertThat(monitor.value("crh.alignment", "layer", "04Conv1d", "side", "a", "relation", "rwa")).isPresent();
            assertThat(registry.scrape()).contains("noether_layer_info{kind=\"conv1d\",layer=\"04Conv1d\",model=\"mlp\",shape=\"2x1x3\"} 1");
        }
    }

    @Test
    void aModelThatIsASingleLinearIsMappedAndTrainsOn() {
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry()).config(OFTEN).build();
        try (DjlRun run = new DjlRun(Linear.builder().setUnits(4).build(), DATA, sgd(), 3, listener)) {
            run.steps(10, 16);
            NoetherMonitor monitor = listener.monitor().orElseThrow();
            assertThat(monitor.steps()).isEqualTo(10);
            assertThat(monitor.description().unsupported()).isEmpty();
            assertThat(monitor.description().layers()).extracting(l -> l.name()).containsExactly("Linear");
            assertThat(monitor.value("layer.weight.norm", "layer", "Linear")).isPresent();
        }
    }

    @Test
    void aProbeThatCannotRunIsCountedAndTrainingContinues() {
        try (NDManager m = NDManager.newBaseManager()) {
            // labels of the wrong width: the loss on the probe fails on every analysis, so no layer gets G_b
            NDList inputs = new NDList(m.randomNormal(new Shape(8, 8)));
            NDList labels = new NDList(m.zeros(new Shape(8, 5)));
            NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(new SimpleMeterRegistry()).config(OFTEN)
                    .probe(inputs, labels).build();
            try (DjlRun run = new DjlRun(Mlp.relu(16, 4), DATA, sgd(), 3, listener)) {
                run.steps(30, 16);
                NoetherMonitor monitor = listener.monitor().orElseThrow();
                assertThat(monitor.steps()).isEqualTo(30);
                // the loss is the part left out (named, counted); the forward moments are still measured
                assertThat(monitor.skipped(dev.noether.core.runtime.SkipReason.PROBE_PART)).isPositive();
                assertThat(monitor.errors(Stage.PROBE)).isZero();
                assertThat(monitor.value("representation.effective.rank", "layer", "01Linear")).isPresent();
                assertThat(monitor.value("crh.alignment", "layer", "01Linear", "side", "a", "relation", "gwa")).isEmpty();
                assertThat(monitor.value("charge", "pair", "01Linear:03Linear", "symmetry", "rescaling")).isPresent();
            }
        }
    }

    @Test
    void aListenerThatCannotStartLeavesTrainingAlone() {
        SimpleMeterRegistry broken = new SimpleMeterRegistry();
        broken.config().meterFilter(new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                throw new IllegalStateException("registry refuses meters");
            }
        });
        NoetherTrainingListener listener = NoetherTrainingListener.builder().registry(broken).config(OFTEN).build();
        List<float[]> without;
        try (DjlRun run = new DjlRun(Mlp.relu(16, 4), DATA, sgd(), 3)) {
            run.steps(10, 16);
            without = run.parameters();
        }
        try (DjlRun run = new DjlRun(Mlp.relu(16, 4), DATA, sgd(), 3, listener)) {
            run.steps(10, 16);
            assertThat(listener.monitor()).isEmpty();
            assertThat(listener.failuresBeforeStart()).isEqualTo(1);
            assertThat(run.parameters()).usingRecursiveComparison().isEqualTo(without);
        }
    }
}
