package dev.noether.agent;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import net.bytebuddy.dynamic.loading.ClassInjector;

/**
 * Puts the hook classes into the bootstrap class loader, where every class loader can see them: the advice
 * woven into DJL and DL4J calls them, and DJL may live in a loader that does not delegate to the system class
 * path. They are defined directly in the boot loader where the JVM allows it; appending a jar to the boot
 * class path instead works everywhere but makes the JVM print a warning and give up class-data sharing for
 * the application's classes.
 */
final class BootstrapClassPath {
    /** Named as strings: loading them through this class's loader first would give them the wrong loader. */
    static final String HOOKS = "dev.noether.agent.bootstrap.NoetherHooks";
    private static final String RECEIVER = HOOKS + "$Receiver";

    private BootstrapClassPath() {}

    static void defineHooks(Instrumentation instrumentation) throws IOException {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        for (String name : new String[] {RECEIVER, HOOKS}) {
            classes.put(name, AgentJar.classBytes(name));
        }
        ClassInjector.UsingUnsafe.Factory unsafe = ClassInjector.UsingUnsafe.Factory.resolve(instrumentation);
        if (unsafe.isAvailable()) {
            unsafe.make(null, null).injectRaw(classes);
        } else {
            appendJar(instrumentation, classes);
        }
    }

    private static void appendJar(Instrumentation instrumentation, Map<String, byte[]> classes) throws IOException {
        Path jar = Files.createTempFile("noether-agent-bootstrap-", ".jar");
        jar.toFile().deleteOnExit();
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            for (Map.Entry<String, byte[]> c : classes.entrySet()) {
                out.putNextEntry(new ZipEntry(c.getKey().replace('.', '/') + ".class"));
                out.write(c.getValue());
                out.closeEntry();
            }
        }
        instrumentation.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
    }
}
