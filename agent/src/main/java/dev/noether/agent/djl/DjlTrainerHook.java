package dev.noether.agent.djl;

import ai.djl.Model;
import ai.djl.training.TrainingConfig;
import ai.djl.training.listener.TrainingListener;
import dev.noether.agent.FrameworkHook;
import dev.noether.agent.MonitorSession;
import dev.noether.djl.NoetherTrainingListener;
import java.util.List;

/**
 * Gives every DJL {@code Trainer} its own Noether listener: called at the start of the constructor
 * {@code Trainer(Model, TrainingConfig)}, before the constructor reads the configuration's listener list.
 * Defined in the class loader of DJL by the agent's bridge loader; public only for that loader's reflection.
 */
public final class DjlTrainerHook implements FrameworkHook {
    public DjlTrainerHook() {}

    @Override
    public void attach(Object subject, MonitorSession session) {
        Object[] arguments = (Object[]) subject;
        Model model = (Model) arguments[0];
        TrainingConfig config = (TrainingConfig) arguments[1];
        List<TrainingListener> listeners = config.getTrainingListeners();
        // One listener watches one training run: a configuration reused for a new trainer gets a fresh one.
        listeners.removeIf(l -> l instanceof NoetherTrainingListener);
        NoetherTrainingListener.Builder listener = NoetherTrainingListener.builder()
                .registry(session.registry())
                .config(session.config())
                .modelName(session.modelName(model.getName() != null ? model.getName() : "djl"));
        listener.addListener(session.reports());
        NoetherTrainingListener built = listener.build();
        listeners.add(built);
        session.atShutdown(built, NoetherTrainingListener::finish); // a trainer never closed still ends analysed
    }
}
