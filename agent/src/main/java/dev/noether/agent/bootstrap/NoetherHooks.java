package dev.noether.agent.bootstrap;

/**
 * The one class the instrumented DJL and DL4J code calls. The agent puts it on the bootstrap class path, so
 * that it is visible from any class loader that holds DJL or DL4J, including loaders that do not see the
 * system class path. It uses only {@code java.*} types and never throws into the caller.
 *
 * <p>Public only because woven-in advice calls it from the framework's classes; not an API.
 */
public final class NoetherHooks {
    private static volatile Receiver receiver;

    private NoetherHooks() {}

    /** What the agent does at each attach point; {@code origin} is the instrumented framework class. */
    public interface Receiver {
        /** A DJL trainer is being built ({@code subject}: its arguments) or a DL4J network is ready or about to fit. */
        void attach(Class<?> origin, Object subject);

        /** A DL4J network's listeners are about to be replaced: returns what {@link #listenersReplaced} needs. */
        Object replacingListeners(Class<?> origin, Object network);

        /** They were replaced; {@code saved} is what {@link #replacingListeners} returned. */
        void listenersReplaced(Class<?> origin, Object network, Object saved);
    }

    /** Installs the receiver; called once by the agent. */
    public static void install(Receiver r) {
        receiver = r;
    }

    public static void attach(Class<?> origin, Object subject) {
        Receiver r = receiver;
        if (r == null) return;
        try {
            r.attach(origin, subject);
        } catch (Throwable ignored) {
            // The receiver reports its own failures; whatever escapes must still not reach training.
        }
    }

    public static Object replacingListeners(Class<?> origin, Object network) {
        Receiver r = receiver;
        if (r == null) return null;
        try {
            return r.replacingListeners(origin, network);
        } catch (Throwable ignored) {
            return null;
        }
    }

    public static void listenersReplaced(Class<?> origin, Object network, Object saved) {
        Receiver r = receiver;
        if (r == null) return;
        try {
            r.listenersReplaced(origin, network, saved);
        } catch (Throwable ignored) {
            // as above
        }
    }
}
