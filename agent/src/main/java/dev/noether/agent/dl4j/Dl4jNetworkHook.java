package dev.noether.agent.dl4j;

import dev.noether.agent.FrameworkHook;
import dev.noether.agent.MonitorSession;
import dev.noether.core.worker.WorkerIdentity;
import dev.noether.dl4j.NoetherListener;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;

/**
 * Keeps exactly one Noether listener on every DL4J {@code MultiLayerNetwork} and {@code ComputationGraph}:
 * attached after {@code init(..)} or at the first {@code fit(..)}, and carried over when the application
 * replaces the listeners with {@code setListeners(..)}. The network itself holds its listener, so the agent
 * keeps no table of networks (nothing to leak when the application drops one). Defined in the class loader of
 * DL4J by the agent's bridge loader; public only for that loader's reflection.
 */
public final class Dl4jNetworkHook implements FrameworkHook {
    /** {@code setListeners} may call {@code init()}, whose attach must wait until the replacement is done. */
    private final ThreadLocal<Integer> replacing = new ThreadLocal<>();

    public Dl4jNetworkHook() {}

    @Override
    public void attach(Object network, MonitorSession session) {
        if (replacing.get() != null) return;
        synchronized (network) {
            if (ours(network) == null) {
                NoetherListener listener = newListener(session);
                add(network, listener);
                if (drivesSpark(listener)) {
                    // the driver's network of DL4J on Spark never trains itself: averaging replaces its parameters,
                    // so it is watched, and the final state at shutdown analyses the run's averaged model
                    listener.watch((Model) network);
                }
            }
        }
    }

    /** A listener of a network in a JVM that runs a Spark application, outside any Spark task: the driver's. */
    private static boolean drivesSpark(NoetherListener listener) {
        return listener.worker().isEmpty() && WorkerIdentity.sparkApplication().isPresent();
    }

    @Override
    public Object replacingListeners(Object network) {
        Integer depth = replacing.get();
        replacing.set(depth == null ? 1 : depth + 1);
        return ours(network);
    }

    @Override
    public void listenersReplaced(Object network, Object saved, MonitorSession session) {
        Integer depth = replacing.get();
        if (depth == null || depth <= 1) {
            replacing.remove();
        } else {
            replacing.set(depth - 1);
            return;
        }
        synchronized (network) {
            if (ours(network) != null) return;
            add(network, saved instanceof NoetherListener ? (NoetherListener) saved : newListener(session));
        }
    }

    private static NoetherListener newListener(MonitorSession session) {
        NoetherListener.Builder listener = NoetherListener.builder()
                .registry(session.registry())
                .config(session.config());
        Optional<String> worker = NoetherListener.dataParallelWorker();
        if (worker.isPresent()) {
            // a Spark task's or ParallelWrapper replica's fresh network: that worker's monitor, not a new model
            listener.modelName(session.baseModelName("dl4j")).worker(worker.get());
        } else {
            listener.modelName(session.modelName("dl4j"));
        }
        listener.addListener(session.reports());
        NoetherListener built = listener.build();
        session.atShutdown(built, NoetherListener::finish); // DL4J has no end-of-fit callback but epoch ends
        return built;
    }

    private static NoetherListener ours(Object network) {
        Collection<TrainingListener> listeners = listeners(network);
        if (listeners == null) return null;
        for (TrainingListener l : listeners) {
            if (l instanceof NoetherListener) return (NoetherListener) l;
        }
        return null;
    }

    private static Collection<TrainingListener> listeners(Object network) {
        if (network instanceof MultiLayerNetwork) return ((MultiLayerNetwork) network).getListeners();
        if (network instanceof ComputationGraph) return ((ComputationGraph) network).getListeners();
        return null;
    }

    private static void add(Object network, NoetherListener listener) {
        Model model = (Model) network;
        try {
            model.addListeners(listener);
        } catch (UnsupportedOperationException readOnly) {
            // The application set a collection that cannot grow: replace it by a copy that has the listener too.
            Collection<TrainingListener> current = listeners(network);
            List<TrainingListener> copy = current == null ? new ArrayList<>() : new ArrayList<>(current);
            copy.add(listener);
            model.setListeners(copy);
        }
    }
}
