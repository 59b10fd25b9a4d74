package dev.noether.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's first command as a user runs it: the packaged {@code noether-examples.jar} with its {@code lib/}
 * folder, in a JVM of its own (not the test class path, which would hide a dependency missing from the jar's
 * manifest). A failsafe test, so it runs after {@code package} has built the jar.
 */
class QuickStartJarIT {
    private static final Path JAR = Path.of("target", "noether-examples.jar");

    @Test
    void thePackagedDemoTrainsServesThePageAndExitsZero() throws IOException, InterruptedException {
        assertThat(JAR).as("built by the package phase").exists();
        Path out = Files.createTempFile("quick-start", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process demo = new ProcessBuilder(List.of(java, "-jar", JAR.toString(), "djl-mlp", "--steps", "300",
                "--port", "0")).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            // a liveness bound, not a timing assertion: the run itself takes seconds
            assertThat(demo.waitFor(5, TimeUnit.MINUTES)).as("the demo ends").isTrue();
        } finally {
            demo.destroyForcibly();
        }
        String log = Files.readString(out);
        assertThat(demo.exitValue()).as("exit status; output:%n%s", log).isZero();
        assertThat(log).contains("Noether page at http://127.0.0.1:", "Training done after 300 steps")
                .doesNotContain("NoClassDefFoundError", "Exception in thread");
        Files.deleteIfExists(out);
    }
}
