package dev.noether.core.runtime;

/**
 * Receives each measured duration of a {@link Tier}, on the thread that measured it (so it must be quick and
 * must not block). The Micrometer binder uses it to feed its timers; see {@link NoetherMonitor#addTierTimeListener}.
 */
@FunctionalInterface
public interface TierTimeListener {
    void onTierTime(Tier tier, long nanos);
}
