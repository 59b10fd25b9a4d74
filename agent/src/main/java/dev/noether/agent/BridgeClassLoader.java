package dev.noether.agent;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;

/**
 * Links the agent's framework listeners to the application's DJL or DL4J. The listener classes (and the
 * bridge hooks) are defined here, from the agent jar; every other Noether class, the relocated libraries
 * included, comes from the agent's loader, so that all models share one registry and one exporter; all the
 * rest ({@code ai.djl.*}, {@code org.nd4j.*}, their dependencies, {@code java.*}) comes from the loader that
 * holds the framework. That works whether the framework sits on the system class path (a plain or fat jar)
 * or in a child loader that may not even delegate to the system class path.
 */
final class BridgeClassLoader extends URLClassLoader {
    /** Packages that link against the framework, so they must be defined next to it. */
    private static final List<String> BRIDGED = List.of(
            "dev.noether.djl.", "dev.noether.dl4j.", "dev.noether.agent.djl.", "dev.noether.agent.dl4j.");

    static {
        registerAsParallelCapable();
    }

    private final ClassLoader agent;
    private final List<String> agentPackages;
    private final ClassLoader framework;

    /**
     * @param bridgeSource where the bridged classes are read from: the agent jar
     * @param agent the loader of the agent (the system class loader)
     * @param agentPackages prefixes of the classes taken from {@code agent}
     * @param framework the loader that holds DJL or DL4J
     */
    BridgeClassLoader(URL[] bridgeSource, ClassLoader agent, List<String> agentPackages, ClassLoader framework) {
        super("noether-bridge", bridgeSource, null);
        this.agent = agent;
        this.agentPackages = List.copyOf(agentPackages);
        this.framework = framework;
    }

    /** A bridge from the agent jar to {@code framework}; the relocated libraries are all under {@code dev.noether.}. */
    static BridgeClassLoader to(ClassLoader framework) {
        return new BridgeClassLoader(new URL[] {AgentJar.location()}, BridgeClassLoader.class.getClassLoader(),
                List.of("dev.noether."), framework);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                if (bridged(name)) {
                    c = findClass(name);
                } else if (fromAgent(name)) {
                    c = agent.loadClass(name);
                } else {
                    c = Class.forName(name, false, framework);
                }
            }
            if (resolve) resolveClass(c);
            return c;
        }
    }

    @Override
    public URL getResource(String name) {
        if (bridged(name.replace('/', '.'))) return findResource(name);
        URL found = framework.getResource(name);
        return found != null ? found : agent.getResource(name);
    }

    private boolean fromAgent(String name) {
        for (String prefix : agentPackages) {
            if (name.startsWith(prefix)) return true;
        }
        return false;
    }

    private static boolean bridged(String name) {
        for (String prefix : BRIDGED) {
            if (name.startsWith(prefix)) return true;
        }
        return false;
    }
}
