package dev.noether.agent;

import dev.noether.core.runtime.NoetherConfig;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;

/**
 * The agent's transformer at start-up: it compares each class name with the three the agent weaves and does
 * nothing else, so a JVM that never loads DJL or DL4J pays for a few agent classes, not for ByteBuddy (about a
 * thousand classes, most of a second). When the first framework class arrives it puts the hooks into the boot
 * loader, sets up the receiver and ByteBuddy, and from then on hands those classes to ByteBuddy.
 */
final class DeferredWeaving implements ClassFileTransformer {
    private final Instrumentation instrumentation;
    private final AgentOptions options;
    private final NoetherConfig config;
    private ClassFileTransformer weaver; // guarded by this
    private boolean failed;              // guarded by this

    DeferredWeaving(Instrumentation instrumentation, AgentOptions options, NoetherConfig config) {
        this.instrumentation = instrumentation;
        this.options = options;
        this.config = config;
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (className == null || !AttachPoints.INTERNAL_NAMES.contains(className)) return null;
        ClassFileTransformer w = weaver();
        if (w == null) return null;
        try {
            return w.transform(loader, className, classBeingRedefined, protectionDomain, classfileBuffer);
        } catch (Throwable t) {
            AgentLog.sayOnce("weave:" + className, "cannot instrument " + className.replace('/', '.') + " ("
                    + AgentLog.describe(t) + "); it runs unmonitored");
            return null;
        }
    }

    private synchronized ClassFileTransformer weaver() {
        if (weaver == null && !failed) {
            try {
                BootstrapClassPath.defineHooks(instrumentation);
                Attachments.install(options, config);
                weaver = AttachPoints.transformer();
            } catch (Throwable t) {
                failed = true;
                AgentLog.say("agent off, the application runs unmonitored: " + AgentLog.describe(t));
            }
        }
        return weaver;
    }
}
