package dev.noether.exporter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ExporterLifecycleTest {

    @Test
    void aProgramThatNeverClosesTheExporterStillExitsWhenMainReturns(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve("child.out");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                UnclosedExporterChild.class.getName()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        boolean exited = child.waitFor(30, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly();
        }
        assertThat(exited).as("the JVM exits although the exporter was never closed").isTrue();
        assertThat(child.exitValue()).isZero();
        assertThat(Files.readString(out)).contains("serving http://127.0.0.1:");
    }
}
