package dev.noether.agent;

import dev.noether.agent.bootstrap.NoetherHooks;
import net.bytebuddy.asm.Advice;

/**
 * Woven into {@code ai.djl.training.Trainer(Model, TrainingConfig)}: before the constructor reads
 * {@code config.getTrainingListeners()} (and calls {@code onTrainingBegin}), the hook adds a Noether listener
 * to that list. Only {@code Object} and the bootstrap hook appear here, so nothing of DJL or Noether loads
 * before the application creates a trainer.
 */
final class DjlTrainerAdvice {
    private DjlTrainerAdvice() {}

    @Advice.OnMethodEnter
    static void enter(@Advice.Origin Class<?> trainer, @Advice.AllArguments Object[] modelAndConfig) {
        NoetherHooks.attach(trainer, modelAndConfig);
    }
}
