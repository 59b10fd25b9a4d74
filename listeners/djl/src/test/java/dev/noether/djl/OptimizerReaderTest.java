package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.OptimizerSettings.Decay;
import dev.noether.core.model.OptimizerSettings.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** What is read from DJL's optimizer: every optimizer DJL 0.36 has, and the update checked against training. */
class OptimizerReaderTest {
    private static final TeacherStudent DATA = TeacherStudent.generate(64, 6, 3, 71);

    private static OptimizerReader reader(DjlRun run) throws ReflectiveOperationException {
        MappedNetwork net = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
        return OptimizerReader.of(run.trainer, net.dense().get(0).weight().getId());
    }

    /** One configuration and what the reader must make of it (floats as DJL stores them). */
    record Row(String what, Supplier<Optimizer> optimizer, Kind kind, String name, double eta, double mu,
               double beta1, double beta2, double epsilon, Decay decay, String breaks) {
        @Override
        public String toString() {
            return what;
        }
    }

    private static final double NAN = Double.NaN;

    static Stream<Row> configurations() {
        Tracker lr = Tracker.fixed(0.1f);
        return Stream.of(
                new Row("sgd", () -> Optimizer.sgd().setLearningRateTracker(lr).build(),
                        Kind.SGD, "sgd", 0.1f, 0, NAN, NAN, NAN, Decay.NONE, ""),
                new Row("sgd with weight decay", () -> Optimizer.sgd().setLearningRateTracker(lr).optWeightDecays(0.01f).build(),
                        Kind.SGD, "sgd", 0.1f, 0, NAN, NAN, NAN, Decay.l2(0.01f), ""),
                new Row("heavy ball", () -> Optimizer.sgd().setLearningRateTracker(lr).optMomentum(0.9f).build(),
                        Kind.MOMENTUM, "momentum", 0.1f, 0.9f, NAN, NAN, NAN, Decay.NONE, ""),
                new Row("heavy ball with weight decay", () -> Optimizer.sgd().setLearningRateTracker(lr).optMomentum(0.8f)
                        .optWeightDecays(0.003f).build(), Kind.MOMENTUM, "momentum", 0.1f, 0.8f, NAN, NAN, NAN, Decay.l2(0.003f), ""),
                new Row("sgd, clipped", () -> Optimizer.sgd().setLearningRateTracker(lr).optClipGrad(1f).build(),
                        Kind.SGD, "sgd", 0.1f, 0, NAN, NAN, NAN, Decay.NONE, "clipGrad 1.0"),
                new Row("sgd, rescaled", () -> Optimizer.sgd().setLearningRateTracker(lr).setRescaleGrad(0.5f).build(),
                        Kind.SGD, "sgd", 0.1f, 0, NAN, NAN, NAN, Decay.NONE, "rescaleGrad 0.5"),
                new Row("adam", () -> Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.003f)).optWeightDecays(1e-4f).build(),
                        Kind.ADAM, "adam", 0.003f, 0, 0.9f, 0.999f, 1e-8f, Decay.l2(1e-4f), ""),
                new Row("adam, own moments", () -> Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.003f)).optBeta1(0.8f)
                        .optBeta2(0.99f).optEpsilon(1e-6f).build(), Kind.ADAM, "adam", 0.003f, 0, 0.8f, 0.99f, 1e-6f, Decay.NONE, ""),
                new Row("adamw", () -> Optimizer.adamW().optLearningRateTracker(Tracker.fixed(0.003f)).optWeightDecays(0.05f).build(),
                        Kind.ADAMW, "adamw", 0.003f, 0, 0.9f, 0.999f, 1e-8f, new Decay(0, 0.003f * 0.05f), ""),
                new Row("adamw, default decay", () -> Optimizer.adamW().build(),
                        Kind.ADAMW, "adamw", 0.001f, 0, 0.9f, 0.999f, 1e-8f, new Decay(0, 0.001f * 0.01f), ""),
                new Row("rmsprop", () -> Optimizer.rmsprop().optLearningRateTracker(lr).optRho(0.95f).optMomentum(0.5f).build(),
                        Kind.RMSPROP, "rmsprop", 0.1f, 0.5f, NAN, 0.95f, 1e-8f, Decay.NONE, ""),
                new Row("adagrad", () -> Optimizer.adagrad().optLearningRateTracker(lr).optWeightDecays(0.02f).build(),
                        Kind.ADAGRAD, "adagrad", 0.1f, 0, NAN, NAN, 1e-8f, Decay.l2(0.02f), ""),
                new Row("nag: not modelled", () -> Optimizer.nag().setLearningRateTracker(lr).setMomentum(0.9f).build(),
                        Kind.OTHER, "nag", 0.1f, 0.9f, NAN, NAN, NAN, Decay.NONE, ""),
                new Row("adadelta: not modelled", () -> Optimizer.adadelta().build(),
                        Kind.OTHER, "adadelta", NAN, 0, NAN, 0.9f, 1e-8f, Decay.NONE, ""),
                new Row("a scheduled rate, at the first update", () -> Optimizer.sgd().setLearningRateTracker(
                        Tracker.factor().setBaseValue(0.2f).setFactor(0.5f).build()).build(),
                        Kind.SGD, "sgd", 0.2f * 0.5f, 0, NAN, NAN, NAN, Decay.NONE, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void readsEveryOptimizerDjlHas(Row row) throws ReflectiveOperationException {
        OptimizerSettings s = OptimizerReader.of(row.optimizer.get(), "w").next();
        assertThat(s.kind()).isEqualTo(row.kind);
        assertThat(s.name()).isEqualTo(row.name);
        // boxed, so that NaN (not relevant) equals NaN
        assertThat(List.of(s.learningRate(), s.momentum(), s.beta1(), s.beta2(), s.epsilon())).as("η, μ, β1, β2, ε")
                .isEqualTo(List.of(row.eta, row.mu, row.beta1, row.beta2, row.epsilon));
        assertThat(s.weights()).isEqualTo(row.decay);
        assertThat(s.biases()).as("DJL decays every parameter alike").isEqualTo(row.decay);
        assertThat(s.identityBreak()).isEqualTo(row.breaks);
        assertThat(s.predictsCharge()).isEqualTo(row.kind.isSgdType() && row.breaks.isEmpty());
    }

    /** A subclass the reader does not know is unknown, named by its class, with η when it has a tracker. */
    @Test
    void anOptimizerOfAnotherClassIsUnknownByName() throws ReflectiveOperationException {
        OptimizerSettings s = OptimizerReader.of(new HomeMade(), "w").next();
        assertThat(s.kind()).isEqualTo(Kind.UNKNOWN);
        assertThat(s.name()).isEqualTo(HomeMade.class.getName());
        assertThat(s.predictsCharge()).isFalse();
        assertThat(s.explainsDrift()).as("the parts, with no decoupled decay assumed").isTrue();
    }

    private static final class HomeMade extends Optimizer {
        HomeMade() {
            super(new OptimizerBuilder<>() {
                @Override
                protected OptimizerBuilder self() {
                    return this;
                }
            });
        }

        @Override
        public void update(String parameterId, NDArray weight, NDArray grad) {
            weight.subi(grad.mul(0.01f));
        }
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

    /** DJL's PyTorch momentum is the heavy ball of METRICS.md §11: Δ_t = μ Δ_{t−1} − η(ĝ + γθ), element by element. */
    @Test
    void momentumUpdateIsTheHeavyBall() throws ReflectiveOperationException {
        float gamma = 0.02f;
        Optimizer momentum = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).optMomentum(0.9f)
                .optWeightDecays(gamma).build();
        try (DjlRun run = new DjlRun(Mlp.relu(5, 3), DATA, momentum, 23)) {
            OptimizerReader reader = reader(run);
            List<float[]> previousDelta = null;
            for (int step = 0; step < 5; step++) {
                run.backward(8);
                OptimizerSettings s = reader.next();
                assertThat(s.kind()).isEqualTo(Kind.MOMENTUM);
                List<float[]> theta = run.parameters();
                List<float[]> grad = gradients(run);
                run.trainer.step();
                List<float[]> next = run.parameters();
                List<float[]> delta = new ArrayList<>();
                for (int p = 0; p < theta.size(); p++) {
                    float[] d = new float[theta.get(p).length];
                    for (int i = 0; i < d.length; i++) {
                        float t = theta.get(p)[i];
                        d[i] = next.get(p)[i] - t;
                        double expected = (previousDelta == null ? 0 : s.momentum() * previousDelta.get(p)[i])
                                - s.learningRate() * (grad.get(p)[i] + gamma * t);
                        assertThat((double) d[i]).as("Δ of parameter %d[%d] at step %d", p, i, step)
                                .isCloseTo(expected, within(2e-6 * Math.max(1, Math.abs(t))));
                    }
                    delta.add(d);
                }
                previousDelta = delta;
            }
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
