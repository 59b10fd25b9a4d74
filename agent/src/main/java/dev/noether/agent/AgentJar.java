package dev.noether.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The agent's own jar. Classes that must be defined outside the system class loader (the bootstrap hooks,
 * the framework bridges) are read from here by name, never looked up through a class loader, which could
 * find an application's copy of the same name first.
 */
final class AgentJar {
    private AgentJar() {}

    /** The jar (or, when run from a build's class folder, that folder) this class was loaded from. */
    static URL location() {
        return AgentJar.class.getProtectionDomain().getCodeSource().getLocation();
    }

    /** The bytes of the class {@code binaryName} in the agent jar. */
    static byte[] classBytes(String binaryName) {
        String entry = binaryName.replace('.', '/') + ".class";
        try {
            Path path = Path.of(location().toURI());
            if (!path.toString().endsWith(".jar")) {
                return java.nio.file.Files.readAllBytes(path.resolve(entry));
            }
            try (JarFile jar = new JarFile(path.toFile())) {
                JarEntry found = jar.getJarEntry(entry);
                if (found == null) throw new IllegalStateException(entry + " is missing from " + path);
                try (InputStream in = jar.getInputStream(found)) {
                    return in.readAllBytes();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
