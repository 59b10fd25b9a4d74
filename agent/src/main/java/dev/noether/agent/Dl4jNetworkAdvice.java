package dev.noether.agent;

import dev.noether.agent.bootstrap.NoetherHooks;
import net.bytebuddy.asm.Advice;

/**
 * Woven into DL4J's {@code MultiLayerNetwork} and {@code ComputationGraph}: after {@code init(..)} and at the
 * start of every public {@code fit(..)} the hook makes sure the network has its Noether listener, and
 * {@code setListeners(..)} keeps it, so that it survives the application replacing the listeners.
 */
final class Dl4jNetworkAdvice {
    private Dl4jNetworkAdvice() {}

    /** For {@code init(..)}: the listener can only read the network once its parameters exist. */
    static final class AfterInit {
        private AfterInit() {}

        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Origin Class<?> network, @Advice.This Object self) {
            NoetherHooks.attach(network, self);
        }
    }

    /** For {@code fit(..)}. */
    static final class BeforeFit {
        private BeforeFit() {}

        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Origin Class<?> network, @Advice.This Object self) {
            NoetherHooks.attach(network, self);
        }
    }

    /**
     * For {@code setListeners(..)}: the agent's listener is noted before and put back after, also when the
     * method throws (the hook must learn that the replacement is over).
     */
    static final class AroundSetListeners {
        private AroundSetListeners() {}

        @Advice.OnMethodEnter(suppress = Throwable.class)
        static Object enter(@Advice.Origin Class<?> network, @Advice.This Object self) {
            return NoetherHooks.replacingListeners(network, self);
        }

        @Advice.OnMethodExit(suppress = Throwable.class, onThrowable = Throwable.class)
        static void exit(@Advice.Origin Class<?> network, @Advice.This Object self, @Advice.Enter Object saved) {
            NoetherHooks.listenersReplaced(network, self, saved);
        }
    }
}
