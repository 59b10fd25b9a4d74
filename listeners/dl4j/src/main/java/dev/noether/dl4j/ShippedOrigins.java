package dev.noether.dl4j;

import dev.noether.core.spi.ListenerSettings;

import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The settings of the listeners that were serialized in this JVM, by id, so that a copy read back in the same JVM
 * (Spark local mode) publishes to the original registry and report listeners rather than to a worker's sink.
 * Held weakly: a dropped listener's settings go.
 */
final class ShippedOrigins {
    private static final Map<ListenerSettings, UUID> IDS = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    private static final Map<UUID, WeakReference<ListenerSettings>> BY_ID = new ConcurrentHashMap<>();

    private ShippedOrigins() {}

    static UUID register(ListenerSettings settings) {
        return IDS.computeIfAbsent(settings, s -> {
            UUID id = UUID.randomUUID();
            BY_ID.put(id, new WeakReference<>(s));
            return id;
        });
    }

    /** The settings of the listener with this id, if it was serialized in this JVM and still exists. */
    static ListenerSettings lookup(UUID id) {
        WeakReference<ListenerSettings> ref = BY_ID.get(id);
        return ref == null ? null : ref.get();
    }
}
