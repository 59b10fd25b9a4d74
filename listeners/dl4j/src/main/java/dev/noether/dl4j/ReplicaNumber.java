package dev.noether.dl4j;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The number of the ParallelWrapper replica a listener is cloned for. DL4J clones the listeners on the replica's
 * own training thread, which it names {@code ParallelWrapper training thread <n>}; that n is stable across fits
 * and wrappers of one model (DL4J builds new replicas for every fit). Elsewhere a counter, in order of cloning.
 */
final class ReplicaNumber {
    private static final Pattern TRAINING_THREAD = Pattern.compile("ParallelWrapper training thread (\\d+)");
    private static final AtomicInteger OTHERS = new AtomicInteger();

    private ReplicaNumber() {}

    static int current() {
        return onTrainingThread().orElseGet(OTHERS::getAndIncrement);
    }

    /** The replica whose ParallelWrapper training thread this is; empty on any other thread. */
    static java.util.OptionalInt onTrainingThread() {
        Matcher m = TRAINING_THREAD.matcher(Thread.currentThread().getName());
        return m.matches() ? java.util.OptionalInt.of(Integer.parseInt(m.group(1))) : java.util.OptionalInt.empty();
    }
}
