package dev.noether.agent;

import dev.noether.core.runtime.NoetherConfig;
import java.lang.instrument.Instrumentation;
import java.net.URL;
import java.util.HashMap;
import java.util.Map;

/**
 * Monitors an unmodified DJL or DL4J training program:
 * {@code java -javaagent:noether-agent.jar=port=9464,analysisEvery=50 -jar train.jar}.
 *
 * <p>At start-up the agent only reads its options and registers a transformer that waits for DJL or DL4J
 * classes ({@link DeferredWeaving}); the advice ({@link AttachPoints}) is woven when they load, and the
 * metrics endpoint starts when the program creates its first DJL {@code Trainer} or DL4J network. The
 * agent never makes the program fail: an invalid option or any failure of its own is one line on standard
 * error starting with {@code noether:}, and the program runs on unmonitored. See {@code agent/README.md}.
 */
public final class NoetherAgent {
    private NoetherAgent() {}

    /** Entry point of {@code -javaagent:}. */
    public static void premain(String arguments, Instrumentation instrumentation) {
        start(arguments, instrumentation, false);
    }

    /** Entry point of a dynamic attach: classes loaded already are retransformed, existing trainers are not seen. */
    public static void agentmain(String arguments, Instrumentation instrumentation) {
        start(arguments, instrumentation, true);
    }

    private static void start(String arguments, Instrumentation instrumentation, boolean loadedAlready) {
        try {
            AgentOptions options;
            NoetherConfig config;
            try {
                options = AgentOptions.resolve(arguments, systemProperties(), System.getenv());
                config = options.noetherConfig();
            } catch (InvalidAgentOptionException | IllegalArgumentException e) {
                AgentLog.say("agent off, the application runs unmonitored: " + e.getMessage());
                return;
            }
            if (!options.enabled()) return;
            String bundled = bundledNoether();
            if (bundled != null) {
                AgentLog.say("agent off, the application runs unmonitored: it carries Noether itself (" + bundled
                        + "); use its listener directly, or remove it from the class path");
                return;
            }
            if (loadedAlready) {
                BootstrapClassPath.defineHooks(instrumentation);
                Attachments.install(options, config);
                AttachPoints.installOnLoadedClasses(instrumentation);
            } else {
                instrumentation.addTransformer(new DeferredWeaving(instrumentation, options, config));
            }
        } catch (Throwable t) {
            AgentLog.say("agent off, the application runs unmonitored: " + AgentLog.describe(t));
        }
    }

    private static Map<String, String> systemProperties() {
        Map<String, String> properties = new HashMap<>();
        System.getProperties().forEach((k, v) -> properties.put(String.valueOf(k), String.valueOf(v)));
        return properties;
    }

    /**
     * Where the application's own copy of Noether is, if it has one: the system class path lists the agent jar
     * last, so the application's copy would shadow the agent's (which links to the relocated libraries).
     */
    private static String bundledNoether() {
        URL found = ClassLoader.getSystemResource("dev/noether/core/runtime/NoetherConfig.class");
        URL agent = AgentJar.location();
        if (found == null || found.toString().contains(agent.getPath())) return null;
        return found.toString();
    }
}
