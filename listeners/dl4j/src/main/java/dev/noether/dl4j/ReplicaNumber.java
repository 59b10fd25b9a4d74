package dev.noether.dl4j;

import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The number of the ParallelWrapper replica a listener is cloned for: the {@code threadId} of DL4J's trainer
 * thread ({@code DefaultTrainer}), which clones the listeners on itself; stable across fits and wrappers of one
 * model. Read by reflection, since the parallel wrapper is not a dependency of this module; elsewhere a counter.
 */
final class ReplicaNumber {
    private static final AtomicInteger OTHERS = new AtomicInteger();

    private ReplicaNumber() {}

    static int current() {
        Thread thread = Thread.currentThread();
        for (Class<?> c = thread.getClass(); c != null && c != Thread.class; c = c.getSuperclass()) {
            if (c.getName().equals("org.deeplearning4j.parallelism.trainer.DefaultTrainer")) {
                try {
                    Field id = c.getDeclaredField("threadId");
                    id.setAccessible(true);
                    return id.getInt(thread);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    break;
                }
            }
        }
        return OTHERS.getAndIncrement();
    }
}
