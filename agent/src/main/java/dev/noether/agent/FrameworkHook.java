package dev.noether.agent;

/**
 * Attaches Noether to the objects of one framework. Implementations live in the bridge packages and are
 * defined by a {@link BridgeClassLoader} next to the framework; public only so that they can implement it
 * across class loaders.
 */
public interface FrameworkHook {
    /**
     * @param subject what the advice passed: the arguments of a DJL {@code Trainer} constructor, a DL4J network
     * @param session where the listener reports
     */
    void attach(Object subject, MonitorSession session);

    /** The application is about to replace {@code network}'s listeners: returns the agent's listener, if attached. */
    default Object replacingListeners(Object network) {
        return null;
    }

    /** The application replaced {@code network}'s listeners: puts {@code saved} back (or attaches one). */
    default void listenersReplaced(Object network, Object saved, MonitorSession session) {}
}
