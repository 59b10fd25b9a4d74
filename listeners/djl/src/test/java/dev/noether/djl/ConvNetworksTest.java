package dev.noether.djl;

import dev.noether.core.runtime.Stage;

import ai.djl.nn.Activation;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.LayerKind;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.SymmetryPair;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

/** LeNet and DJL's ResNetV1 trained on generated images: every layer seen, the pairs' exact identity (§2, §10). */
class ConvNetworksTest {
    private static final String[] LENET_PAIRS = {"01Conv2d:04Conv2d", "04Conv2d:08Linear", "08Linear:10Linear"};

    private static Optimizer sgd(float eta, float gamma) {
        return Optimizer.sgd().setLearningRateTracker(Tracker.fixed(eta)).optWeightDecays(gamma).build();
    }

    private static NoetherTrainingListener listener(List<NoetherReport> steps, int analysisEvery) {
        return NoetherTrainingListener.builder().registry(new SimpleMeterRegistry())
                // the whole probe whatever the machine's load: these tests read its moments, not its budget
                .config(NoetherConfig.builder().observeEvery(1).analysisEvery(analysisEvery)
                        .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).maxProbeTime(Duration.ofMinutes(5)).build())
                .addListener(r -> {
                    if (r.kind() == NoetherReport.Kind.STEP) {
                        steps.add(r);
                    }
                })
                .build();
    }

    @Test
    void lenetShowsEveryLayerAndItsThreePairsFollowTheExactIdentityUnderSgdWithWeightDecay()
            throws InterruptedException {
        TeacherStudent images = TeacherStudent.generate(512, 784, 10, 3);
        List<NoetherReport> steps = new ArrayList<>();
        NoetherTrainingListener listener = listener(steps, 20);
        try (DjlRun run = new DjlRun(ConvNets.lenet(10), images, ConvNets.MNIST, sgd(0.05f, 0.01f), 4, listener)) {
            NoetherMonitor monitor = Analyses.trainAndAnalyseLastStep(run, listener, 40, 16);
            NetworkDescription d = monitor.description();
            assertThat(d.layers()).extracting(DenseLayer::name)
                    .containsExactly("01Conv2d", "04Conv2d", "08Linear", "10Linear");
            assertThat(d.layers()).extracting(DenseLayer::kind)
                    .containsExactly(LayerKind.CONV2D, LayerKind.CONV2D, LayerKind.DENSE, LayerKind.DENSE);
            assertThat(d.layers()).extracting(DenseLayer::shape)
                    .containsExactly("6x1x5x5", "16x6x5x5", "120x400", "10x120");
            assertThat(d.pairs()).extracting(SymmetryPair::tag).containsExactly(LENET_PAIRS);
            assertThat(d.unsupported()).isEmpty();
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.ANALYSIS)).isZero();
            for (DenseLayer l : d.layers()) {
                String[] layer = {"layer", l.name()};
                assertThat(monitor.value("layer.weight.norm", layer)).as(l.name()).isPresent();
                assertThat(monitor.value("layer.update.ratio", layer)).as(l.name()).isPresent();
                assertThat(monitor.value("layer.effective.rank", layer)).as(l.name()).isPresent();
                assertThat(monitor.value("representation.effective.rank", layer)).as(l.name()).isPresent();
                for (String relation : new String[] {"rga", "rwa", "gwa"}) {
                    assertThat(monitor.value("crh.alignment", "layer", l.name(), "side", "a", "relation", relation))
                            .as(l.name() + " " + relation).isPresent();
                }
                assertThat(monitor.value("fdt.residual", "layer", l.name(), "side", "b")).as(l.name()).isPresent();
            }
            for (String hidden : new String[] {"01Conv2d", "04Conv2d", "08Linear"}) {
                assertThat(monitor.value("neurons.dead", "layer", hidden)).as(hidden).isPresent();
                assertThat(monitor.value("neurons.distinct", "layer", hidden)).as(hidden).isPresent();
                assertThat(monitor.value("neuron.blocks", "layer", hidden)).as(hidden).isPresent();
                assertThat(monitor.value("neurons.inactive", "layer", hidden)).as(hidden).isPresent();
            }
            assertThat(monitor.value("layer.neurons", "layer", "04Conv2d").getAsDouble()).isEqualTo(16);
            assertThat(monitor.value("layer.inputs", "layer", "04Conv2d").getAsDouble()).isEqualTo(150);
        }
        double worst = worstResidual(steps, LENET_PAIRS);
        System.out.printf("LeNet: worst charge.residual under plain SGD with weight decay = %.3g%n", worst);
        assertThat(worst).isLessThanOrEqualTo(1e-5);
    }

    /**
     * The symmetry.violation of conv→pool→conv is ≈ 0 with ReLU, and clearly not with tanh: the second run's
     * monitor is told (wrongly) that the first activation is a ReLU, which the gradients contradict.
     */
    @Test
    void symmetryViolationSeesTheTanhBetweenTwoConvolutions() {
        double relu = violationClaimingRelu(ai.djl.nn.Activation::reluBlock);
        double tanh = violationClaimingRelu(Activation::tanhBlock);
        System.out.printf("symmetry.violation of 01Conv2d:04Conv2d: ReLU %.3g, tanh %.3g%n", relu, tanh);
        assertThat(relu).isLessThan(1e-4);
        assertThat(tanh).isGreaterThan(0.02);
    }

    private static double violationClaimingRelu(java.util.function.Supplier<ai.djl.nn.Block> activation) {
        TeacherStudent images = TeacherStudent.generate(256, 784, 10, 5);
        try (DjlRun run = new DjlRun(ConvNets.lenet(activation, 10), images, ConvNets.MNIST, sgd(0.05f, 0f), 6)) {
            run.steps(1, 16);
            MappedNetwork mapped = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
            // the description of the ReLU network, whatever the first activation really is
            NetworkDescription claimed = NetworkDescription.builder("m")
                    .conv("01Conv2d", LayerKind.CONV2D, 6, 1, true, new int[] {5, 5})
                    .activation(dev.noether.core.model.Activation.RELU)
                    .op("03LambdaBlock", dev.noether.core.model.Op.MAX_POOL)
                    .conv("04Conv2d", LayerKind.CONV2D, 16, 6, true, new int[] {5, 5})
                    .activation(dev.noether.core.model.Activation.RELU)
                    .op("06LambdaBlock", dev.noether.core.model.Op.MAX_POOL).flatten("07LambdaBlock", 25)
                    .dense("08Linear", 120, 400, true).activation(dev.noether.core.model.Activation.RELU)
                    .dense("10Linear", 10, 120, true)
                    .build();
            StepCapture capture = new StepCapture(mapped.dense());
            try (NoetherMonitor monitor = NoetherMonitor.builder(claimed)
                    .config(NoetherConfig.builder().observeEvery(1).analysisEvery(1000).build()).build()) {
                for (int t = 0; t < 5; t++) {
                    run.backward(16);
                    monitor.onStep(capture.reduced(t, 0, dev.noether.core.model.OptimizerSettings.plainSgd(0.05, 0, 0), false)); // the engine path, whatever the device
                    run.trainer.step();
                }
                return monitor.value("symmetry.violation", "pair", "01Conv2d:04Conv2d", "symmetry", "rescaling")
                        .getAsDouble();
            }
        }
    }

    @Test
    void resnet20ShowsEveryConvolutionWithScaleInvarianceAndMomentsThroughTheResidualUnits()
            throws InterruptedException {
        TeacherStudent images = TeacherStudent.generate(256, 784, 10, 7);
        List<NoetherReport> steps = new ArrayList<>();
        NoetherTrainingListener listener = listener(steps, 10);
        try (DjlRun run = new DjlRun(ConvNets.resnet(20, 10), images, ConvNets.MNIST, sgd(0.05f, 0.0001f), 8, listener)) {
            NoetherMonitor monitor = Analyses.trainAndAnalyseLastStep(run, listener, 10, 32);
            NetworkDescription d = monitor.description();
            System.out.println("ResNet-20: " + d.summary());
            long convs = d.layers().stream().filter(l -> l.kind() == LayerKind.CONV2D).count();
            // 1 stem + 9 residual units × 2 + 3 projection shortcuts (first unit of each stage), and the dense head
            assertThat(convs).isEqualTo(22);
            assertThat(d.layers()).hasSize(23);
            assertThat(d.layers().get(22).kind()).isEqualTo(LayerKind.DENSE);
            assertThat(d.unsupported()).isEmpty();
            assertThat(d.pairs()).isEmpty(); // BN after every conv, residual adds before the head
            assertThat(monitor.errors(Stage.ADAPTER) + monitor.errors(Stage.PROBE) + monitor.errors(Stage.ANALYSIS)).isZero();
            int invariant = 0;
            for (DenseLayer l : d.layers()) {
                String[] layer = {"layer", l.name()};
                assertThat(monitor.value("layer.weight.norm", layer)).as(l.name()).isPresent();
                assertThat(monitor.value("layer.effective.rank", layer)).as(l.name()).isPresent();
                assertThat(monitor.value("crh.alignment", "layer", l.name(), "side", "b", "relation", "rga"))
                        .as(l.name()).isPresent();
                if (l.isScaleInvariant()) {
                    invariant++;
                    assertThat(monitor.value("layer.effective.learning.rate", layer)).as(l.name()).isPresent();
                }
            }
            assertThat(invariant).isEqualTo(21); // every conv but the stem, which feeds the first unit directly
            // the first conv of each unit reads into the second through BN and ReLU: dead/distinct channels
            assertThat(monitor.value("neurons.distinct", "layer", "02ParallelBlock_01SequentialBlock_01Conv2d"))
                    .isPresent();
            assertThat(monitor.value("neuron.blocks", "layer", "10ParallelBlock_01SequentialBlock_04Conv2d"))
                    .isPresent();
            assertThat(monitor.value("norm.imbalance")).isPresent();
        }
    }

    /** The largest charge.residual over every report whose previous step was observed too. */
    static double worstResidual(List<NoetherReport> steps, String... pairs) {
        double worst = 0;
        int checked = 0;
        long previous = Long.MIN_VALUE;
        for (NoetherReport r : steps) {
            for (String pair : pairs) {
                String[] tags = {"pair", pair, "symmetry", "rescaling"};
                OptionalDouble residual = r.value("charge.residual", tags);
                if (r.step() == previous + 1) {
                    assertThat(residual).as("residual of %s at step %d", pair, r.step()).isPresent();
                    assertThat(r.value("symmetry.violation", tags).getAsDouble()).as(pair).isLessThan(1e-4);
                    worst = Math.max(worst, residual.getAsDouble());
                    checked++;
                }
            }
            previous = r.step();
        }
        assertThat(checked).isGreaterThan(pairs.length * 10);
        return worst;
    }
}
