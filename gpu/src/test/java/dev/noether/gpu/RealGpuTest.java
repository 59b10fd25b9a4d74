package dev.noether.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real NVML against nvidia-smi, on a machine with an NVIDIA driver (skipped elsewhere): the fixed facts
 * (UUID, name, driver, total memory) must agree exactly; the moving readings must be in their ranges.
 * For the moving readings side by side under load, run {@link CompareWithNvidiaSmi}.
 */
class RealGpuTest {

    @Test
    void theGaugesAgreeWithNvidiaSmi() throws IOException, InterruptedException {
        assumeThat(Files.exists(Path.of("/proc/driver/nvidia/version"))).as("an NVIDIA driver").isTrue();
        List<String[]> smi = nvidiaSmi("index,uuid,name,driver_version,memory.total");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (NvmlGpuMetrics gpus = NvmlGpuMetrics.withSamplePeriod(Duration.ofHours(1))) {
            gpus.bindTo(registry);
            assertThat(gpus.gpuCount()).isEqualTo(smi.size());
            for (String[] row : smi) {
                String gpu = row[0];
                assertThat(registry.get("noether.gpu.info").tags("gpu", gpu, "uuid", row[1], "name", row[2], "driver", row[3])
                        .gauge().value()).isEqualTo(1.0);
                assertThat(Math.round(registry.get("noether.gpu.memory.total").tag("gpu", gpu).gauge().value() / (1 << 20)))
                        .isEqualTo(Long.parseLong(row[4]));
                assertThat(registry.get("noether.gpu.utilization").tag("gpu", gpu).gauge().value()).isBetween(0.0, 1.0);
                assertThat(registry.get("noether.gpu.temperature").tag("gpu", gpu).gauge().value()).isBetween(1.0, 120.0);
            }
        }
    }

    private static List<String[]> nvidiaSmi(String fields) throws IOException, InterruptedException {
        Process smi = new ProcessBuilder("nvidia-smi", "--query-gpu=" + fields, "--format=csv,noheader,nounits")
                .redirectErrorStream(true).start();
        String out = new String(smi.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(smi.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(smi.exitValue()).as(out).isZero();
        return out.lines().filter(l -> !l.isBlank()).map(l -> l.split(",\\s*")).toList();
    }
}
