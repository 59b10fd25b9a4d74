package dev.noether.djl;

import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.noether.core.model.OptimizerSettings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** What is read from DJL's optimizer, checked against what the update actually does. */
class OptimizerReaderTest {
    private static final TeacherStudent DATA = TeacherStudent.generate(64, 6, 3, 71);

    private static OptimizerReader reader(DjlRun run) throws ReflectiveOperationException {
        MappedNetwork net = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
        return OptimizerReader.of(run.trainer, net.dense().get(0).weight().getId());
    }

    /**
     * DJL's PyTorch Sgd is θ ← θ − η(ĝ + γθ) on every parameter, biases included, with the η and γ read here,
     * also when a tracker changes η during training.
     */
    @Test
    void plainSgdUpdateIsWhatTheReaderPredictsForEveryParameter() throws ReflectiveOperationException {
        float gamma = 0.03f;
        Tracker schedule = Tracker.factor().setBaseValue(0.2f).setFactor(0.8f).build();
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(schedule).optWeightDecays(gamma).build();
        try (DjlRun run = new DjlRun(Mlp.relu(5, 3), DATA, sgd, 21)) {
            OptimizerReader reader = reader(run);
            List<Double> etas = new ArrayList<>();
            for (int step = 0; step < 6; step++) {
                run.backward(8);
                OptimizerSettings settings = reader.next();
                assertThat(settings.isPlainSgd()).isTrue();
                assertThat(settings.weightDecay()).isEqualTo((double) gamma);
                assertThat(settings.biasDecay()).isEqualTo((double) gamma);
                List<float[]> theta = run.parameters();
                List<float[]> grad = gradients(run);
                run.trainer.step();
                List<float[]> next = run.parameters();
                float eta = (float) settings.learningRate();
                etas.add(settings.learningRate());
                for (int p = 0; p < theta.size(); p++) {
                    for (int i = 0; i < theta.get(p).length; i++) {
                        float t = theta.get(p)[i];
                        float expected = t - (grad.get(p)[i] + gamma * t) * eta;
                        assertThat(next.get(p)[i]).as("parameter %d[%d] at step %d", p, i, step)
                                .isCloseTo(expected, within(1e-6f * Math.max(1f, Math.abs(expected))));
                    }
                }
            }
            // DJL's FactorTracker gives 0.2 · 0.8^numUpdate, and the first update is numUpdate = 1
            for (int k = 0; k < etas.size(); k++) {
                assertThat(etas.get(k)).isEqualTo((double) (float) (0.2f * Math.pow(0.8f, k + 1)));
            }
        }
    }

    @Test
    void momentumAdamAndClippingAreNotPlainSgd() throws ReflectiveOperationException {
        assertThat(settings(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).optMomentum(0.9f).build()))
                .satisfies(s -> {
                    assertThat(s.isPlainSgd()).isFalse();
                    assertThat(s.name()).isEqualTo("sgd-momentum");
                    assertThat(s.learningRate()).isEqualTo((double) 0.1f);
                });
        assertThat(settings(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).optClipGrad(1f).build()).name())
                .isEqualTo("sgd-rescaled");
        OptimizerSettings adam = settings(Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.003f)).build());
        assertThat(adam.isPlainSgd()).isFalse();
        assertThat(adam.name()).isEqualTo("adam");
        assertThat(adam.learningRate()).isEqualTo((double) 0.003f);
    }

    private static OptimizerSettings settings(Optimizer optimizer) throws ReflectiveOperationException {
        try (DjlRun run = new DjlRun(Mlp.relu(5, 3), DATA, optimizer, 22)) {
            run.steps(1, 8);
            return reader(run).next();
        }
    }

    private static List<float[]> gradients(DjlRun run) {
        List<float[]> out = new ArrayList<>();
        for (Pair<String, Parameter> p : run.model.getBlock().getParameters()) {
            try (var g = p.getValue().getArray().getGradient()) {
                out.add(g.toFloatArray());
            }
        }
        return out;
    }
}
