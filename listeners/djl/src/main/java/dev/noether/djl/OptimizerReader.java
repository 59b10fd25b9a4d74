package dev.noether.djl;

import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Adadelta;
import ai.djl.training.optimizer.Adagrad;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.optimizer.Nag;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.RmsProp;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.ParameterTracker;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.OptimizerSettings.Decay;
import dev.noether.core.model.OptimizerSettings.Kind;

import java.lang.reflect.Field;

/**
 * Reads the update about to be applied from the trainer's DJL optimizer (METRICS.md §11). DJL 0.36 exposes neither
 * the optimizer nor its settings, so they are read by reflection, once per observed step, without side effects:
 * <ul>
 *   <li>the optimizer: {@code Trainer}'s {@link ParameterStore} → its {@link ParameterServer} → the server's
 *       {@link Optimizer} field (found by type; DJL's {@code LocalParameterServer});</li>
 *   <li>η_t = {@code learningRateTracker.getNewValue(parameterId, numUpdate)} with the update count DJL will use
 *       next ({@code max(numUpdate, beginNumUpdate) + 1}), exactly as the optimizers ask for it (Adam's bias
 *       correction is applied by DJL on top of this value and belongs to its preconditioner);</li>
 *   <li>{@code Optimizer.weightDecays}, on every parameter alike, biases included: a coupled L2 γ added to the
 *       gradient, except for {@link AdamW}, whose PyTorch update first shrinks θ by η_t·wd (decoupled δ = η_t·wd);</li>
 *   <li>the optimizer's own fields: {@code momentum} ({@link Sgd}: heavy ball, state ← μ·state + η(ĝ + γθ),
 *       θ ← θ − state; {@link Nag}, {@link RmsProp}), {@code beta1}, {@code beta2}, {@code epsilon} ({@link Adam},
 *       {@link AdamW}), {@code rho} ({@link RmsProp}, {@link Adadelta}), {@code epsilon};</li>
 *   <li>{@code Optimizer.rescaleGrad} ≠ 1 and {@code clipGrad} ≥ 0 (PyTorch clamps ĝ from above) keep the exact
 *       prediction from holding: reported as {@link OptimizerSettings#identityBreak()}.</li>
 * </ul>
 * Kinds: {@link Sgd} is {@code sgd} (momentum 0) or {@code momentum}; {@link Adam} {@code adam}, {@link AdamW}
 * {@code adamw}, {@link RmsProp} {@code rmsprop}, {@link Adagrad} {@code adagrad}; {@link Nag} (whose MXNet-style
 * update DJL's PyTorch engine does not implement) and {@link Adadelta} are {@code other}; any other class is
 * {@code unknown}, named by its class. When reflection fails (a future DJL, a module system that forbids it) the
 * listener counts the failure and reports {@link OptimizerSettings#unknown()}; the user can pass
 * {@code NoetherTrainingListener.Builder#optimizer(OptimizerSettings)} instead.
 */
final class OptimizerReader {
    private final Optimizer optimizer;
    private final String parameterId;
    private final Field tracker;
    private final Field numUpdate;
    private final Field beginNumUpdate;
    private final Field weightDecays;
    private final Field rescaleGrad;
    private final Field clipGrad;

    private OptimizerReader(Optimizer optimizer, String parameterId) throws NoSuchFieldException {
        this.optimizer = optimizer;
        this.parameterId = parameterId;
        this.tracker = findField(optimizer.getClass(), "learningRateTracker");
        this.numUpdate = declared(Optimizer.class, "numUpdate");
        this.beginNumUpdate = declared(Optimizer.class, "beginNumUpdate");
        this.weightDecays = declared(Optimizer.class, "weightDecays");
        this.rescaleGrad = declared(Optimizer.class, "rescaleGrad");
        this.clipGrad = declared(Optimizer.class, "clipGrad");
    }

    /**
     * Finds the trainer's optimizer.
     *
     * @param parameterId the id of one trained parameter, for per-variable learning-rate trackers
     * @throws ReflectiveOperationException when DJL's internals are not what this reader knows
     */
    static OptimizerReader of(Trainer trainer, String parameterId) throws ReflectiveOperationException {
        ParameterStore store = (ParameterStore) valueOfType(trainer, Trainer.class, ParameterStore.class);
        ParameterServer server = (ParameterServer) valueOfType(store, ParameterStore.class, ParameterServer.class);
        Optimizer optimizer = (Optimizer) valueOfType(server, server.getClass(), Optimizer.class);
        return new OptimizerReader(optimizer, parameterId);
    }

    /** The reader of {@code optimizer} itself (for tests of the reading alone). */
    static OptimizerReader of(Optimizer optimizer, String parameterId) throws ReflectiveOperationException {
        return new OptimizerReader(optimizer, parameterId);
    }

    /** The settings of the next update; reads only, never changes the optimizer. */
    OptimizerSettings next() throws ReflectiveOperationException {
        double eta = learningRate();
        double wd = weightDecays.getFloat(optimizer);
        Class<?> type = optimizer.getClass();
        OptimizerSettings.Builder b;
        if (type == Sgd.class) {
            float mu = floatField("momentum");
            b = OptimizerSettings.builder(mu == 0f ? Kind.SGD : Kind.MOMENTUM).momentum(mu);
        } else if (type == Adam.class) {
            b = OptimizerSettings.builder(Kind.ADAM).moments(floatField("beta1"), floatField("beta2"), floatField("epsilon"));
        } else if (type == AdamW.class) {
            b = OptimizerSettings.builder(Kind.ADAMW).moments(floatField("beta1"), floatField("beta2"), floatField("epsilon"));
        } else if (type == RmsProp.class) {
            b = OptimizerSettings.builder(Kind.RMSPROP).momentum(floatField("momentum"))
                    .moments(Double.NaN, floatField("rho"), floatField("epsilon"));
        } else if (type == Adagrad.class) {
            b = OptimizerSettings.builder(Kind.ADAGRAD).moments(Double.NaN, Double.NaN, floatField("epsilon"));
        } else if (type == Nag.class) {
            b = OptimizerSettings.builder(Kind.OTHER).name("nag").momentum(floatField("momentum"));
        } else if (type == Adadelta.class) {
            b = OptimizerSettings.builder(Kind.OTHER).name("adadelta")
                    .moments(Double.NaN, floatField("rho"), floatField("epsilon"));
        } else {
            return OptimizerSettings.unknown(type.getName(), eta);
        }
        // AdamW shrinks θ by η_t·wd before its step (computed in float by the engine); everyone else adds wd·θ to ĝ
        b.decay(type == AdamW.class ? new Decay(0, (float) eta * (float) wd) : Decay.l2(wd));
        float rescale = rescaleGrad.getFloat(optimizer);
        if (rescale != 1f) {
            b.breaksIdentity("rescaleGrad " + rescale);
        }
        float clip = clipGrad.getFloat(optimizer);
        if (clip >= 0f) {
            b.breaksIdentity("clipGrad " + clip);
        }
        return b.learningRate(eta).build();
    }

    private float floatField(String name) throws ReflectiveOperationException {
        return declared(optimizer.getClass(), name).getFloat(optimizer);
    }

    private double learningRate() throws ReflectiveOperationException {
        if (tracker == null) {
            return Double.NaN;
        }
        ParameterTracker t = (ParameterTracker) tracker.get(optimizer);
        // the count Optimizer.updateCount will return for the first parameter of the coming update
        int next = Math.max(numUpdate.getInt(optimizer), beginNumUpdate.getInt(optimizer)) + 1;
        return t.getNewValue(parameterId, next);
    }

    private static Field declared(Class<?> owner, String name) throws NoSuchFieldException {
        Field f = owner.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    private static Field findField(Class<?> type, String name) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            try {
                return declared(c, name);
            } catch (NoSuchFieldException ignored) {
                // look further up
            }
        }
        return null;
    }

    private static Object valueOfType(Object target, Class<?> owner, Class<?> type) throws ReflectiveOperationException {
        for (Class<?> c = owner; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (type.isAssignableFrom(f.getType())) {
                    f.setAccessible(true);
                    Object value = f.get(target);
                    if (value != null) {
                        return value;
                    }
                }
            }
        }
        throw new NoSuchFieldException("no " + type.getSimpleName() + " field in " + owner.getName());
    }
}
