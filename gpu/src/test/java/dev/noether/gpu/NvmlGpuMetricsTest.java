package dev.noether.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reading code against {@link FakeNvml}: known values in, the same values out, NVML errors handled. */
class NvmlGpuMetricsTest {
    private static final long GIB = 1L << 30;
    // a period long enough that only sampleNow() samples during a test
    private static final Duration MANUAL = Duration.ofHours(1);

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

    private NvmlGpuMetrics metrics() {
        return new NvmlGpuMetrics(MANUAL, () -> nvml);
    }

    private static double gauge(MeterRegistry registry, String name, String gpu) {
        return registry.get(name).tag("gpu", gpu).gauge().value();
    }

    private static boolean hasGauge(MeterRegistry registry, String name, String gpu) {
        return registry.find(name).tag("gpu", gpu).gauge() != null;
    }

    @Test
    void gaugesShowTheValuesNvmlReportsInBaseUnits() {
        nvml.addGpu("GPU-aaaa", "NVIDIA H200").values(37, 141 * GIB, 12_345_678_901L, 245_123, 61);
        nvml.addGpu("GPU-bbbb", "NVIDIA H200").values(100, 141 * GIB, 0, 70_000, 34);
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(registry);
            assertThat(gpus.gpuCount()).isEqualTo(2);
            // 37 % -> 0.37; 245 123 mW -> 245.123 W
            assertThat(gauge(registry, "noether.gpu.utilization", "0")).isCloseTo(0.37, within(1e-12));
            assertThat(gauge(registry, "noether.gpu.memory.used", "0")).isEqualTo(12_345_678_901.0);
            assertThat(gauge(registry, "noether.gpu.memory.total", "0")).isEqualTo(151_397_597_184.0);
            assertThat(gauge(registry, "noether.gpu.power", "0")).isCloseTo(245.123, within(1e-9));
            assertThat(gauge(registry, "noether.gpu.temperature", "0")).isEqualTo(61.0);
            assertThat(gauge(registry, "noether.gpu.utilization", "1")).isEqualTo(1.0);
            assertThat(gauge(registry, "noether.gpu.memory.used", "1")).isZero();
            assertThat(gauge(registry, "noether.gpu.power", "1")).isEqualTo(70.0);
            assertThat(registry.get("noether.gpu.info").tags("gpu", "1", "uuid", "GPU-bbbb", "name", "NVIDIA H200",
                    "driver", "550.54.15").gauge().value()).isEqualTo(1.0);
            assertThat(registry.get("noether.errors").tag("stage", "gpu").functionCounter().count()).isZero();
        }
        assertThat(log.messages()).containsExactly("INFO Noether GPU gauges for GPU 0 NVIDIA H200, 1 NVIDIA H200 "
                + "(driver 550.54.15), sampled every 3600000 ms");
    }

    @Test
    void everyMeterHasADescriptionAndThePrometheusNamesTheBoardsQuery() throws IOException, InterruptedException {
        nvml.addGpu("GPU-aaaa", "NVIDIA A100-SXM4-80GB").values(50, 80 * GIB, 40 * GIB, 300_000, 70);
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(prometheus);
            prometheus.getMeters().forEach(m -> assertThat(m.getId().getDescription()).as(m.getId().getName()).isNotBlank());
            String text = prometheus.scrape();
            assertThat(text).contains(
                    "noether_gpu_utilization{gpu=\"0\"} 0.5\n",
                    "noether_gpu_memory_used_bytes{gpu=\"0\"} 4.294967296E10\n",
                    "noether_gpu_memory_total_bytes{gpu=\"0\"} 8.589934592E10\n",
                    "noether_gpu_power_watts{gpu=\"0\"} 300.0\n",
                    "noether_gpu_temperature_celsius{gpu=\"0\"} 70.0\n",
                    "noether_gpu_info{driver=\"550.54.15\",gpu=\"0\",name=\"NVIDIA A100-SXM4-80GB\",uuid=\"GPU-aaaa\"} 1\n",
                    "noether_errors_total{model=\"\",stage=\"gpu\"} 0.0\n");
            assertThat(text.lines().filter(l -> l.startsWith("# TYPE noether_gpu_")).map(l -> l.split(" ")[2]))
                    .as("the published name list is what a scrape shows").containsExactlyInAnyOrderElementsOf(
                            NvmlGpuMetrics.PROMETHEUS_NAMES);
            assertThat(promtoolCheckMetrics(text)).as("promtool check metrics").isEmpty();
        }
        assertThat(prometheus.getMeters()).as("close() removes the GPU meters").isEmpty();
    }

    /** What the real {@code promtool check metrics} says about an exposition: nothing when it is clean. */
    static String promtoolCheckMetrics(String exposition) throws IOException, InterruptedException {
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = promtool.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String verdict = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return promtool.exitValue() == 0 ? verdict : verdict + " (exit status " + promtool.exitValue() + ")";
    }

    @Test
    void promtoolFlagsABadExposition() throws IOException, InterruptedException {
        // the check above can fail: a counter without _total and a ms unit are reported
        assertThat(promtoolCheckMetrics("# HELP x_ms latency\n# TYPE x_ms counter\nx_ms 1\n")).isNotEmpty();
    }

    @Test
    void scrapesReadTheLastSampleAndNeverCallNvml() {
        FakeNvml.FakeGpu gpu = nvml.addGpu("GPU-aaaa", "T4").values(10, 16 * GIB, GIB, 30_000, 40);
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(registry);
            int readsAfterBind = gpu.reads.get();
            gpu.values(90, 16 * GIB, 2 * GIB, 65_000, 55);
            for (int i = 0; i < 100; i++) gauge(registry, "noether.gpu.utilization", "0");
            assertThat(gpu.reads.get()).isEqualTo(readsAfterBind);
            assertThat(gauge(registry, "noether.gpu.utilization", "0")).isEqualTo(0.1);

            gpus.sampleNow();
            // one call per quantity (memory used and total are one call each)
            assertThat(gpu.reads.get() - readsAfterBind).isEqualTo(GpuQuantity.values().length);
            assertThat(gauge(registry, "noether.gpu.utilization", "0")).isEqualTo(0.9);
            assertThat(gauge(registry, "noether.gpu.memory.used", "0")).isEqualTo(2.0 * GIB);
            assertThat(gauge(registry, "noether.gpu.power", "0")).isEqualTo(65.0);
            assertThat(gauge(registry, "noether.gpu.temperature", "0")).isEqualTo(55.0);
        }
    }

    @Test
    void aFailingReadRemovesOnlyThatGaugeCountsEveryFailureAndWarnsOnce() {
        nvml.addGpu("GPU-aaaa", "A10").values(20, 24 * GIB, GIB, 100_000, 50);
        FakeNvml.FakeGpu lost = nvml.addGpu("GPU-bbbb", "A10").values(30, 24 * GIB, GIB, 110_000, 52);
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(registry);
            lost.error("nvmlDeviceGetPowerUsage", NvmlException.ERROR_GPU_IS_LOST);
            gpus.sampleNow();
            gpus.sampleNow();
            gpus.sampleNow();
            assertThat(hasGauge(registry, "noether.gpu.power", "1")).isFalse();
            assertThat(gauge(registry, "noether.gpu.power", "0")).isEqualTo(100.0);
            assertThat(gauge(registry, "noether.gpu.temperature", "1")).isEqualTo(52.0);
            assertThat(registry.get("noether.errors").tag("stage", "gpu").functionCounter().count()).isEqualTo(3.0);
            assertThat(log.records).filteredOn(r -> r.getLevel() == Level.WARNING).singleElement()
                    .satisfies(r -> assertThat(r.getMessage()).contains("noether.gpu.power of GPU 1",
                            "nvmlDeviceGetPowerUsage failed: fake error 15 (NVML error 15)"));

            lost.error("nvmlDeviceGetPowerUsage", 0);
            lost.powerMilliwatts = 120_500;
            gpus.sampleNow();
            assertThat(gauge(registry, "noether.gpu.power", "1")).isEqualTo(120.5);
            assertThat(registry.get("noether.errors").tag("stage", "gpu").functionCounter().count()).isEqualTo(3.0);
        }
    }

    @Test
    void aJnaFailureDuringAReadIsTreatedLikeAnNvmlError() {
        nvml.addGpu("GPU-aaaa", "A10").values(20, 24 * GIB, GIB, 100_000, 50)
                .error("nvmlDeviceGetTemperature", FakeNvml.FakeGpu.JNA_FAILURE);
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(registry);
            gpus.sampleNow();
            assertThat(hasGauge(registry, "noether.gpu.temperature", "0")).isFalse();
            assertThat(gauge(registry, "noether.gpu.power", "0")).isEqualTo(100.0);
            assertThat(registry.get("noether.errors").tag("stage", "gpu").functionCounter().count()).isEqualTo(2.0);
        }
        assertThat(log.records).filteredOn(r -> r.getLevel() == Level.WARNING).singleElement()
                .satisfies(r -> assertThat(r.getMessage()).contains("noether.gpu.temperature of GPU 0", "fake JNA failure"));
    }

    @Test
    void aQuantityTheBoardDoesNotSupportIsAbsentButNoError() {
        nvml.addGpu("GPU-aaaa", "GeForce GTX 1050").values(5, 2 * GIB, GIB / 2, 0, 45)
                .error("nvmlDeviceGetPowerUsage", NvmlException.ERROR_NOT_SUPPORTED);
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(registry);
            gpus.sampleNow();
            assertThat(hasGauge(registry, "noether.gpu.power", "0")).isFalse();
            assertThat(gauge(registry, "noether.gpu.temperature", "0")).isEqualTo(45.0);
            assertThat(registry.get("noether.errors").tag("stage", "gpu").functionCounter().count()).isZero();
        }
        assertThat(log.messages()).singleElement().asString()
                .startsWith("INFO Noether GPU gauges for GPU 0 GeForce GTX 1050")
                .endsWith("; not read: noether.gpu.power of GPU 0");
    }

    @Test
    void aGpuWhoseHandleFailsIsSkippedAndTheOthersKeepTheirIndex() {
        nvml.addGpu("GPU-aaaa", "A100").handleError = NvmlException.ERROR_NO_PERMISSION;
        nvml.addGpu("GPU-bbbb", "A100").values(60, 40 * GIB, GIB, 200_000, 60);
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(registry);
            assertThat(gpus.gpuCount()).isEqualTo(1);
            assertThat(hasGauge(registry, "noether.gpu.utilization", "0")).isFalse();
            assertThat(gauge(registry, "noether.gpu.utilization", "1")).isEqualTo(0.6);
            assertThat(registry.get("noether.gpu.info").tag("gpu", "1").tag("uuid", "GPU-bbbb").gauge()).isNotNull();
        }
        assertThat(log.messages()).singleElement().asString()
                .contains("skipped GPU 0 (nvmlDeviceGetHandleByIndex_v2 failed: fake error 4 (NVML error 4))");
    }

    @Test
    void anUnknownDriverVersionStillGivesGauges() {
        nvml.driverError = NvmlException.ERROR_UNKNOWN;
        nvml.addGpu("GPU-aaaa", "L4").values(1, 24 * GIB, GIB, 20_000, 30);
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(registry);
            assertThat(registry.get("noether.gpu.info").tag("driver", "unknown").gauge()).isNotNull();
        }
    }

    @Test
    void theTimerSamplesOnADaemonThreadOffTheCaller() throws InterruptedException {
        FakeNvml.FakeGpu gpu = nvml.addGpu("GPU-aaaa", "T4").values(10, 16 * GIB, GIB, 30_000, 40);
        try (NvmlGpuMetrics gpus = new NvmlGpuMetrics(Duration.ofMillis(20), () -> nvml)) {
            gpus.bindTo(registry);
            gpu.utilizationPercent = 77;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (gauge(registry, "noether.gpu.utilization", "0") != 0.77 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(gauge(registry, "noether.gpu.utilization", "0")).isEqualTo(0.77);
            assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> t.getName().equals("noether-gpu"))
                    .singleElement().satisfies(t -> assertThat(t.isDaemon()).isTrue());
        }
        int reads = gpu.reads.get();
        Thread.sleep(100);
        assertThat(gpu.reads.get()).as("no NVML call after close()").isEqualTo(reads);
        assertThat(nvml.shutdownCalls.get()).isEqualTo(1);
    }

    @Test
    void aRegistryThatRefusesTheMetersGetsNoneAndBindDoesNotThrow() {
        nvml.addGpu("GPU-aaaa", "T4").values(10, 16 * GIB, GIB, 30_000, 40);
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (id.getName().equals("noether.gpu.info")) throw new IllegalStateException("refused by the test");
                return id;
            }
        });
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(registry);
            gpus.sampleNow();
        }
        assertThat(log.records).filteredOn(r -> r.getLevel() == Level.WARNING).singleElement()
                .satisfies(r -> assertThat(r.getMessage()).contains("cannot be registered in SimpleMeterRegistry",
                        "refused by the test"));
    }

    @Test
    void twoRegistriesShareOneSampler() {
        FakeNvml.FakeGpu gpu = nvml.addGpu("GPU-aaaa", "T4").values(10, 16 * GIB, GIB, 30_000, 40);
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        try (NvmlGpuMetrics gpus = metrics()) {
            gpus.bindTo(registry);
            gpus.bindTo(other);
            gpu.utilizationPercent = 44;
            gpus.sampleNow();
            assertThat(gauge(registry, "noether.gpu.utilization", "0")).isEqualTo(0.44);
            assertThat(gauge(other, "noether.gpu.utilization", "0")).isEqualTo(0.44);
        }
        assertThat(nvml.initCalls.get()).isEqualTo(1);
    }

    @Test
    void closeRemovesTheMetersShutsNvmlDownOnceAndLaterBindsDoNothing() {
        nvml.addGpu("GPU-aaaa", "T4").values(10, 16 * GIB, GIB, 30_000, 40);
        NvmlGpuMetrics gpus = metrics();
        gpus.bindTo(registry);
        assertThat(registry.getMeters()).hasSize(GpuQuantity.values().length + 2); // + info + errors
        gpus.close();
        gpus.close();
        assertThat(registry.getMeters()).isEmpty();
        assertThat(nvml.shutdownCalls.get()).isEqualTo(1);
        gpus.bindTo(registry);
        gpus.sampleNow();
        assertThat(registry.getMeters()).isEmpty();
        assertThat(gpus.gpuCount()).isZero();
    }
}
