package dev.noether.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Without GPU, NVML library or a working NVML: no meters, one INFO line, no thread, no exception, no retry. */
class NoGpuTest {
    private final FakeNvml nvml = new FakeNvml();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private LogRecords log;

    @BeforeEach
    void captureLog() {
        log = LogRecords.capture();
    }

    @AfterEach
    void releaseLog() {
        log.close();
    }

    private void assertNoGpuMeters(NvmlGpuMetrics gpus, String logLine) throws InterruptedException {
        gpus.bindTo(registry);
        gpus.bindTo(new SimpleMeterRegistry()); // a second binding neither retries nor logs again
        gpus.sampleNow();
        Thread.sleep(50); // a 1 ms sample period would have run many times by now
        assertThat(registry.getMeters()).isEmpty();
        assertThat(gpus.gpuCount()).isZero();
        assertThat(log.messages()).singleElement().asString().startsWith("INFO No GPU gauges: ").contains(logLine);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("noether-gpu"));
        gpus.close();
        assertThat(log.messages()).hasSize(1);
    }

    @Test
    void theRealLibraryOnAMachineWithoutNvidiaDriver() throws InterruptedException {
        assumeThat(Files.exists(Path.of("/proc/driver/nvidia/version"))).as("this machine has an NVIDIA driver").isFalse();
        assertNoGpuMeters(NvmlGpuMetrics.withSamplePeriod(Duration.ofMillis(1)), "NVIDIA's NVML library (libnvidia-ml.so) does not load here (libnvidia-ml.so");
    }

    @Test
    void noJnaOnTheClassPath() throws InterruptedException {
        assertNoGpuMeters(new NvmlGpuMetrics(Duration.ofMillis(1), () -> {
            throw new NoClassDefFoundError("com/sun/jna/Library");
        }), "does not load here (com/sun/jna/Library)");
    }

    @Test
    void nvmlInitFails() throws InterruptedException {
        nvml.initError = NvmlException.ERROR_DRIVER_NOT_LOADED;
        nvml.addGpu("GPU-aaaa", "T4");
        assertNoGpuMeters(new NvmlGpuMetrics(Duration.ofMillis(1), () -> nvml),
                "NVML does not start: nvmlInit_v2 failed: fake error 9 (NVML error 9)");
        assertThat(nvml.initCalls.get()).isEqualTo(1);
    }

    @Test
    void nvmlSeesNoGpu() throws InterruptedException {
        assertNoGpuMeters(new NvmlGpuMetrics(Duration.ofMillis(1), () -> nvml), "NVML sees no GPU");
        assertThat(nvml.shutdownCalls.get()).isEqualTo(1);
    }

    @Test
    void theDeviceCountFails() throws InterruptedException {
        nvml.countError = NvmlException.ERROR_UNINITIALIZED;
        assertNoGpuMeters(new NvmlGpuMetrics(Duration.ofMillis(1), () -> nvml),
                "NVML does not list the GPUs: nvmlDeviceGetCount_v2 failed: fake error 1");
        assertThat(nvml.shutdownCalls.get()).isEqualTo(1);
    }

    @Test
    void noGpuAnswers() throws InterruptedException {
        nvml.addGpu("GPU-aaaa", "T4").handleError = NvmlException.ERROR_GPU_IS_LOST;
        assertNoGpuMeters(new NvmlGpuMetrics(Duration.ofMillis(1), () -> nvml),
                "no GPU answers NVML: GPU 0 (nvmlDeviceGetHandleByIndex_v2 failed: fake error 15 (NVML error 15))");
    }
}
