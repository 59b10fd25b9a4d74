package dev.noether.agent;

import dev.noether.agent.bootstrap.NoetherHooks;
import dev.noether.core.runtime.NoetherConfig;

/**
 * Receives every call of the woven advice (through the bootstrap hook) and hands it to the framework's
 * {@link FrameworkHook}, created once per instrumented class in a {@link BridgeClassLoader} next to it.
 * Starts the {@link MonitorSession} on the first attach. Nothing thrown here reaches the application: a
 * failure is one line on standard error, and the model (or, if the endpoint cannot start, the program)
 * runs unmonitored.
 */
final class Attachments implements NoetherHooks.Receiver {
    private static final FrameworkHook NONE = (subject, session) -> {};

    private final AgentOptions options;
    private final NoetherConfig config;
    private final Object startLock = new Object();
    private volatile MonitorSession session;
    private volatile boolean unmonitored;
    // What the hooks do themselves (add a listener, build a probe) must not come back here.
    private final ThreadLocal<Boolean> busy = new ThreadLocal<>();
    private final ClassValue<FrameworkHook> hooks = new ClassValue<>() {
        @Override
        protected FrameworkHook computeValue(Class<?> origin) {
            return createHook(origin);
        }
    };

    private Attachments(AgentOptions options, NoetherConfig config) {
        this.options = options;
        this.config = config;
    }

    /**
     * Makes a new instance the receiver of the bootstrap hooks. Call only after the hooks are in the boot loader:
     * loading this class loads {@code NoetherHooks.Receiver}, which must come from there, not from the agent jar.
     */
    static void install(AgentOptions options, NoetherConfig config) {
        NoetherHooks.install(new Attachments(options, config));
    }

    @Override
    public void attach(Class<?> origin, Object subject) {
        if (unmonitored || busy.get() != null) return;
        busy.set(Boolean.TRUE);
        try {
            FrameworkHook hook = hooks.get(origin);
            if (hook == NONE) return;
            MonitorSession s = session();
            if (s != null) hook.attach(subject, s);
        } catch (Throwable t) {
            reportFailure(origin, t);
        } finally {
            busy.remove();
        }
    }

    @Override
    public Object replacingListeners(Class<?> origin, Object network) {
        if (unmonitored || busy.get() != null) return null;
        busy.set(Boolean.TRUE);
        try {
            return hooks.get(origin).replacingListeners(network);
        } catch (Throwable t) {
            reportFailure(origin, t);
            return null;
        } finally {
            busy.remove();
        }
    }

    @Override
    public void listenersReplaced(Class<?> origin, Object network, Object saved) {
        if (unmonitored || busy.get() != null) return;
        busy.set(Boolean.TRUE);
        try {
            FrameworkHook hook = hooks.get(origin);
            if (hook == NONE) return;
            MonitorSession s = session();
            if (s != null) hook.listenersReplaced(network, saved, s);
        } catch (Throwable t) {
            reportFailure(origin, t);
        } finally {
            busy.remove();
        }
    }

    private static void reportFailure(Class<?> origin, Throwable t) {
        AgentLog.sayOnce("attach:" + origin.getName() + ":" + t.getClass().getName(), "could not attach to a "
                + origin.getSimpleName() + " (" + AgentLog.describe(t) + "); that model trains unmonitored");
    }

    private MonitorSession session() {
        MonitorSession s = session;
        if (s != null) return s;
        synchronized (startLock) {
            if (session == null && !unmonitored) {
                try {
                    session = MonitorSession.start(options, config);
                } catch (Throwable t) {
                    if (t instanceof InterruptedException) Thread.currentThread().interrupt();
                    unmonitored = true;
                    AgentLog.say("cannot start the metrics endpoint on " + options.host() + ":" + options.port() + " ("
                            + AgentLog.describe(t) + "); the application runs unmonitored");
                }
            }
            return session;
        }
    }

    private static FrameworkHook createHook(Class<?> origin) {
        String bridge = switch (origin.getName()) {
            case AttachPoints.DJL_TRAINER -> "dev.noether.agent.djl.DjlTrainerHook";
            case AttachPoints.DL4J_MULTI_LAYER, AttachPoints.DL4J_GRAPH -> "dev.noether.agent.dl4j.Dl4jNetworkHook";
            default -> null;
        };
        if (bridge == null) return NONE;
        try {
            Class<?> type = Class.forName(bridge, true, BridgeClassLoader.to(origin.getClassLoader()));
            return (FrameworkHook) type.getConstructor().newInstance();
        } catch (Throwable t) {
            AgentLog.say("cannot link the Noether listener to " + origin.getName() + " of " + origin.getClassLoader()
                    + " (" + AgentLog.describe(t) + "); it trains unmonitored");
            return NONE;
        }
    }
}
