package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.noether.gpu.NvmlGpuMetrics;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The GPU gauges are on by default; on a machine without NVIDIA driver (this one) they add no series, one INFO
 * line and no thread, and the exposition equals that of an exporter with {@code gpuMetrics(false)}.
 */
class NoGpuExporterTest {

    @BeforeAll
    static void onlyWithoutNvidiaDriver() {
        assumeThat(Files.exists(Path.of("/proc/driver/nvidia/version"))).as("this machine has an NVIDIA driver").isFalse();
    }

    @Test
    void theDefaultExporterWithoutGpuServesWhatOneWithGpuMetricsOffServes() throws Exception {
        List<String> withGpuMetrics;
        List<LogRecord> gpuLog;
        try (CapturedLog log = new CapturedLog(NvmlGpuMetrics.class);
                NoetherExporter exporter = NoetherExporter.builder().port(0).commonTags("run", "r1").start()) {
            RepresentativeMeters.register(exporter.registry());
            withGpuMetrics = seriesOf(exporter);
            assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("noether-gpu"));
            gpuLog = log.atLevel(Level.INFO);
            assertThat(log.atLevel(Level.WARNING)).isEmpty();
        }
        List<String> withoutGpuMetrics;
        try (CapturedLog log = new CapturedLog(NvmlGpuMetrics.class);
                NoetherExporter exporter = NoetherExporter.builder().port(0).commonTags("run", "r1")
                        .gpuMetrics(false).start()) {
            RepresentativeMeters.register(exporter.registry());
            withoutGpuMetrics = seriesOf(exporter);
            assertThat(log.atLevel(Level.INFO)).isEmpty();
            assertThat(log.atLevel(Level.WARNING)).isEmpty();
        }

        assertThat(gpuLog).singleElement().satisfies(r -> assertThat(CapturedLog.text(r))
                .startsWith("No GPU gauges: NVIDIA's NVML library (libnvidia-ml.so) does not load here"));
        assertThat(withGpuMetrics).noneMatch(line -> line.contains("gpu"));
        assertThat(withGpuMetrics).isNotEmpty().containsExactlyElementsOf(withoutGpuMetrics);
    }

    /** The series of one scrape, names and labels without values, in exposition order. */
    private static List<String> seriesOf(NoetherExporter exporter) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(exporter.url().resolve("/metrics")).timeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = ExternalProcess.HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body().lines().filter(l -> !l.startsWith("#")).map(l -> l.substring(0, l.lastIndexOf(' '))).toList();
    }
}
