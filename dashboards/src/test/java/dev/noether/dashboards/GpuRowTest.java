package dev.noether.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The overview's GPU row, the GPU-idle alert and the busiest-GPU recording rule on Noether's own NVML gauges
 * alone (no DCGM, no nvidia_gpu_exporter): a real Prometheus scrapes a trainer's endpoint whose GPUs are idle
 * (5% and 2%) while its steps advance. The series are the ones {@code noether-gpu} exposes (its tests pin
 * those names and units).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GpuRowTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private ExpositionServer target;
    private LocalPrometheus prometheus;
    private String host;

    private static String exposition(long steps) {
        return """
                # TYPE noether_steps_total counter
                noether_steps_total{model="demo"} %d
                # TYPE noether_gpu_utilization gauge
                noether_gpu_utilization{gpu="0"} 0.05
                noether_gpu_utilization{gpu="1"} 0.02
                # TYPE noether_gpu_memory_used_bytes gauge
                noether_gpu_memory_used_bytes{gpu="0"} 1.2345678901E10
                noether_gpu_memory_used_bytes{gpu="1"} 0.0
                # TYPE noether_gpu_memory_total_bytes gauge
                noether_gpu_memory_total_bytes{gpu="0"} 1.51397597184E11
                noether_gpu_memory_total_bytes{gpu="1"} 1.51397597184E11
                # TYPE noether_gpu_power_watts gauge
                noether_gpu_power_watts{gpu="0"} 245.123
                noether_gpu_power_watts{gpu="1"} 70.0
                # TYPE noether_gpu_temperature_celsius gauge
                noether_gpu_temperature_celsius{gpu="0"} 61.0
                noether_gpu_temperature_celsius{gpu="1"} 34.0
                # TYPE noether_gpu_info gauge
                noether_gpu_info{driver="550.54.15",gpu="0",name="NVIDIA H200",uuid="GPU-aaaa"} 1
                noether_gpu_info{driver="550.54.15",gpu="1",name="NVIDIA H200",uuid="GPU-bbbb"} 1
                """.formatted(steps);
    }

    @BeforeAll
    void start(@TempDir Path rulesDir) {
        target = new ExpositionServer(exposition(100));
        host = target.target().substring(0, target.target().lastIndexOf(':'));
        Path alerts = ImmediateAlertRules.copyOf(ModuleFiles.ALERT_RULES, rulesDir);
        prometheus = LocalPrometheus.start(target.target(), List.of(alerts, ModuleFiles.RECORDING_RULES));
        prometheus.awaitQuery("noether_gpu_utilization", r -> r.size() == 2, TIMEOUT);
    }

    @AfterAll
    void stop() {
        if (prometheus != null) prometheus.close();
        if (target != null) target.close();
    }

    @Test
    void everyGpuPanelShowsBothGpusFromNoethersGaugesAlone() {
        TemplateVariables variables = TemplateVariables.matchingEverything().with("host", host);
        List<String> problems = new ArrayList<>();
        int gpuQueries = 0;
        for (PanelQuery query : GrafanaDashboard.load(ModuleFiles.OVERVIEW_DASHBOARD).panelQueries()) {
            if (!query.readsGpuExporter()) continue;
            gpuQueries++;
            List<JsonNode> result = prometheus.awaitQuery(variables.substitute(query.expr()), r -> r.size() == 2, TIMEOUT);
            if (!result.stream().map(s -> s.path("metric").path("gpu").asText()).sorted().toList().equals(List.of("0", "1"))) {
                problems.add(query + " -> " + result);
            }
        }
        assertThat(gpuQueries).as("utilization, memory, power, temperature").isEqualTo(4);
        assertThat(problems).isEmpty();
        // the units the panels declare: 0-1 and bytes, as served
        assertThat(value(variables.substitute(query("GPU utilization").expr()), "0")).isEqualTo(0.05);
        assertThat(value(variables.substitute(query("GPU memory used").expr()), "0")).isEqualTo(1.2345678901E10);
    }

    @Test
    void theGpuIdleAlertFiresAndTheRecordingRuleTakesTheBusiestGpu() {
        target.serve(exposition(400)); // steps advance while both GPUs stay below 10%
        List<JsonNode> alerts = prometheus.awaitAlerts(a -> a.stream().anyMatch(GpuRowTest::gpuIdleFiring), TIMEOUT);
        assertThat(alerts).filteredOn(GpuRowTest::gpuIdleFiring).singleElement()
                .satisfies(a -> assertThat(a.path("labels").path("host").asText()).isEqualTo(host));
        List<JsonNode> busiest = prometheus.awaitQuery("host:gpu_utilization:max_avg5m", r -> !r.isEmpty(), TIMEOUT);
        assertThat(busiest).singleElement().satisfies(s -> {
            assertThat(s.path("metric").path("host").asText()).isEqualTo(host);
            assertThat(s.path("value").get(1).asDouble()).isEqualTo(0.05);
        });
    }

    private static boolean gpuIdleFiring(JsonNode alert) {
        return "firing".equals(alert.path("state").asText())
                && "NoetherGpuIdleWhileTraining".equals(alert.path("labels").path("alertname").asText());
    }

    private PanelQuery query(String panelTitle) {
        return GrafanaDashboard.load(ModuleFiles.OVERVIEW_DASHBOARD).panelQueries().stream()
                .filter(q -> q.panelTitle().equals(panelTitle)).findFirst().orElseThrow();
    }

    private double value(String promql, String gpu) {
        return prometheus.query(promql).stream().filter(s -> gpu.equals(s.path("metric").path("gpu").asText()))
                .findFirst().orElseThrow().path("value").get(1).asDouble();
    }
}
