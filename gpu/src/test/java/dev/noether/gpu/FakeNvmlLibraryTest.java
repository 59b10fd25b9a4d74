package dev.noether.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JnaNvml}, the real JNA binding, against a stand-in {@code libnvidia-ml.so} (src/test/c/fake_nvml.c,
 * compiled here with the system's C compiler; skipped without one): every argument's marshalling (handles,
 * the two-int utilization struct, the versioned memory struct, the strings), NVML's error text, and the
 * gauges on top.
 */
class FakeNvmlLibraryTest {
    @TempDir
    static Path dir;
    private static Path library;

    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        Path source = Path.of("src/test/c/fake_nvml.c");
        library = dir.resolve("libnvidia-ml.so");
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-shared", "-fPIC", "-O1", "-o", library.toString(), source.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException noCompiler) {
            assumeThat(noCompiler).as("a C compiler (cc) to build the stand-in NVML").isNull();
            return;
        }
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cc.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(cc.exitValue()).as(out).isZero();
    }

    @Test
    void theBindingReadsWhatTheLibraryAnswers() throws NvmlException {
        JnaNvml nvml = JnaNvml.loadFrom(library);
        nvml.init();
        assertThat(nvml.deviceCount()).isEqualTo(2);
        assertThat(nvml.driverVersion()).isEqualTo("550.54.15");
        Nvml.NvmlDevice gpu0 = nvml.device(0);
        assertThat(gpu0.uuid()).isEqualTo("GPU-5fd6c0a8-0000-4000-8000-000000000000");
        assertThat(gpu0.name()).isEqualTo("NVIDIA H200");
        assertThat(gpu0.utilizationPercent()).isEqualTo(37);
        // v2 (the version field checked by the library), not v1 whose "used" would be 999
        assertThat(gpu0.memory()).isEqualTo(new Nvml.GpuMemory(150_754_820_096L, 12_345_678_901L));
        assertThat(gpu0.powerMilliwatts()).isEqualTo(245_123);
        assertThat(gpu0.temperatureCelsius()).isEqualTo(61);
        Nvml.NvmlDevice gpu1 = nvml.device(1);
        assertThat(gpu1.utilizationPercent()).isEqualTo(100);
        assertThatThrownBy(gpu1::powerMilliwatts).isInstanceOfSatisfying(NvmlException.class,
                e -> assertThat(e.code()).isEqualTo(NvmlException.ERROR_GPU_IS_LOST))
                .hasMessage("nvmlDeviceGetPowerUsage failed: GPU is lost (NVML error 15)");
        assertThatThrownBy(() -> nvml.device(2))
                .hasMessage("nvmlDeviceGetHandleByIndex_v2 failed: Invalid Argument (NVML error 2)");
        nvml.shutdown();
    }

    @Test
    void theGaugesOnTheRealBinding() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (NvmlGpuMetrics gpus = new NvmlGpuMetrics(Duration.ofHours(1), () -> JnaNvml.loadFrom(library))) {
            gpus.bindTo(registry);
            assertThat(registry.get("noether.gpu.utilization").tag("gpu", "0").gauge().value()).isCloseTo(0.37, within(1e-12));
            assertThat(registry.get("noether.gpu.memory.total").tag("gpu", "1").gauge().value()).isEqualTo(150_754_820_096.0);
            assertThat(registry.get("noether.gpu.power").tag("gpu", "0").gauge().value()).isCloseTo(245.123, within(1e-9));
            assertThat(registry.find("noether.gpu.power").tag("gpu", "1").gauge()).as("GPU 1's power read fails").isNull();
            assertThat(registry.get("noether.gpu.temperature").tag("gpu", "1").gauge().value()).isEqualTo(34.0);
            assertThat(registry.get("noether.gpu.info").tags("gpu", "1", "uuid", "GPU-5fd6c0a8-1111-4000-8000-111111111111",
                    "name", "NVIDIA H200", "driver", "550.54.15").gauge().value()).isEqualTo(1.0);
            assertThat(registry.get("noether.errors").tag("stage", "gpu").functionCounter().count()).isEqualTo(1.0);
        }
    }
}
