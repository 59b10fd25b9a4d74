package dev.noether.djl;

import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.ParameterTracker;
import dev.noether.core.model.OptimizerSettings;

import java.lang.reflect.Field;
import java.util.Locale;

/**
 * Reads η and γ of the update about to be applied from the trainer's DJL optimizer. DJL 0.36 exposes neither
 * the optimizer nor its settings, so they are read by reflection, once per step, without side effects:
 * <ul>
 *   <li>the optimizer: {@code Trainer}'s {@link ParameterStore} → its {@link ParameterServer} → the server's
 *       {@link Optimizer} field (found by type; DJL's {@code LocalParameterServer});</li>
 *   <li>η = {@code learningRateTracker.getNewValue(parameterId, numUpdate)} with the update count DJL will use
 *       next ({@code max(numUpdate, beginNumUpdate) + 1}), exactly as {@code Sgd.update} asks for it;</li>
 *   <li>γ = {@code Optimizer.weightDecays}; DJL applies it to every parameter, biases included;</li>
 *   <li>{@code Sgd.momentum}, {@code Optimizer.rescaleGrad}, {@code Optimizer.clipGrad}.</li>
 * </ul>
 * DJL's PyTorch {@code sgdUpdate} computes θ ← θ − η(rescale·clip(ĝ) + γθ), then adds momentum when non-zero.
 * So the update is plain SGD in the sense of METRICS.md §2 exactly when the optimizer is {@link Sgd} itself,
 * momentum = 0, rescaleGrad = 1 and clipGrad &lt; 0; anything else is reported as
 * {@link OptimizerSettings#other} with η when readable. When reflection fails (a future DJL, a security
 * manager, a module system that forbids it) the settings are {@link OptimizerSettings#unknown()}, and the
 * user can pass {@code NoetherTrainingListener.Builder#optimizer(OptimizerSettings)} instead.
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
    private final Field momentum;

    private OptimizerReader(Optimizer optimizer, String parameterId) throws NoSuchFieldException {
        this.optimizer = optimizer;
        this.parameterId = parameterId;
        this.tracker = findField(optimizer.getClass(), "learningRateTracker");
        this.numUpdate = declared(Optimizer.class, "numUpdate");
        this.beginNumUpdate = declared(Optimizer.class, "beginNumUpdate");
        this.weightDecays = declared(Optimizer.class, "weightDecays");
        this.rescaleGrad = declared(Optimizer.class, "rescaleGrad");
        this.clipGrad = declared(Optimizer.class, "clipGrad");
        this.momentum = optimizer.getClass() == Sgd.class ? declared(Sgd.class, "momentum") : null;
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

    /** The settings of the next update; reads only, never changes the optimizer. */
    OptimizerSettings next() throws ReflectiveOperationException {
        double eta = learningRate();
        if (momentum == null) {
            return OptimizerSettings.other(optimizer.getClass().getSimpleName().toLowerCase(Locale.ROOT), eta);
        }
        if (momentum.getFloat(optimizer) != 0f) {
            return OptimizerSettings.other("sgd-momentum", eta);
        }
        if (rescaleGrad.getFloat(optimizer) != 1f || clipGrad.getFloat(optimizer) >= 0f) {
            return OptimizerSettings.other("sgd-rescaled", eta);
        }
        double gamma = weightDecays.getFloat(optimizer);
        return OptimizerSettings.plainSgd(eta, gamma, gamma);
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
