package dev.noether.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus with both rule files scrapes a static exposition of the whole Noether catalogue
 * (every non-GPU metric, layers dense1 and dense2) every second. The dashboards' queries must return
 * data, a healthy run must fire nothing, and a scripted collapse must fire exactly the matching alerts.
 * The alert rules are loaded with their {@code for:} durations set to 0s, so nothing waits minutes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalPrometheusTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** rate() needs two samples inside its range; with 1s scrapes 10s is plenty. */
    private static final TemplateVariables VARIABLES = TemplateVariables.matchingEverything()
            .with("__rate_interval", "10s");

    private String catalogue;
    private ExpositionServer target;
    private LocalPrometheus prometheus;

    @BeforeAll
    void startPrometheusScrapingTheCatalogue(@TempDir Path rulesDir) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("noether-catalogue.prom")) {
            catalogue = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        target = new ExpositionServer(exposition(64, 2, Instant.now().getEpochSecond()));
        Path alerts = ImmediateAlertRules.copyOf(ModuleFiles.ALERT_RULES, rulesDir);
        prometheus = LocalPrometheus.start(target.target(), List.of(alerts, ModuleFiles.RECORDING_RULES));
    }

    @AfterAll
    void stop() {
        if (prometheus != null) {
            prometheus.close();
        }
        if (target != null) {
            target.close();
        }
    }

    /** The catalogue with the values a test changes: distinct and dead neurons of dense1, the last step. */
    private String exposition(int distinctDense1, int deadDense1, long lastStepEpochSeconds) {
        return catalogue.replace("${distinct}", Integer.toString(distinctDense1))
                .replace("${dead}", Integer.toString(deadDense1))
                .replace("${last_step}", Long.toString(lastStepEpochSeconds))
                .replace("${steps}", "1200");
    }

    @Test
    @Order(1)
    void scrapesTheTarget() {
        List<JsonNode> up = prometheus.awaitQuery("up{job=\"" + LocalPrometheus.JOB + "\"} == 1",
                r -> !r.isEmpty(), TIMEOUT);
        assertThat(up).singleElement().satisfies(sample -> {
            assertThat(sample.path("metric").path("instance").asText()).isEqualTo(target.target());
            assertThat(sample.path("value").get(1).asText()).isEqualTo("1");
        });
        // The catalogue arrived intact: 13 phase series for each of the two layers.
        assertThat(prometheus.query("count(noether_crh_phase)")).singleElement()
                .satisfies(s -> assertThat(s.path("value").get(1).asText()).isEqualTo("26"));
    }

    @Test
    @Order(2)
    void everyNonGpuOverviewQueryReturnsData() {
        assertEveryQueryReturnsData(GrafanaDashboard.load(ModuleFiles.OVERVIEW_DASHBOARD), VARIABLES);
    }

    @Test
    @Order(3)
    void everyLayerDashboardQueryReturnsDataForOneLayer() {
        assertEveryQueryReturnsData(GrafanaDashboard.load(ModuleFiles.LAYER_DASHBOARD),
                VARIABLES.with("layer", "dense1"));
    }

    private void assertEveryQueryReturnsData(GrafanaDashboard dashboard, TemplateVariables variables) {
        List<String> failed = new ArrayList<>();
        int checked = 0;
        for (PanelQuery query : dashboard.panelQueries()) {
            if (query.readsGpuExporter()) {
                continue;
            }
            String promql = variables.substitute(query.expr());
            checked++;
            try {
                // rates need a second scrape; everything else answers at once
                prometheus.awaitQuery(promql, r -> !r.isEmpty(), Duration.ofSeconds(5));
            } catch (AssertionError e) {
                failed.add("no data: " + query);
            } catch (IllegalArgumentException e) {
                failed.add("rejected: " + e.getMessage());
            }
        }
        assertThat(failed).as("queries that Prometheus rejects or answers without data").isEmpty();
        assertThat(checked).isGreaterThan(20);
    }

    @Test
    @Order(4)
    void loadsEveryAlertWithSeverityAndAdvice() {
        List<JsonNode> alerting = prometheus.rules().stream()
                .filter(r -> "alerting".equals(r.path("type").asText())).toList();
        assertThat(alerting).hasSize(13).allSatisfy(rule -> {
            String name = rule.path("name").asText();
            assertThat(rule.path("health").asText()).as(name).isEqualTo("ok");
            assertThat(rule.path("labels").path("severity").asText()).as(name).isIn("info", "warning", "critical");
            assertThat(rule.path("annotations").path("summary").asText()).as(name).isNotBlank();
            assertThat(rule.path("annotations").path("description").asText()).as(name).hasSizeGreaterThan(100);
        });
        assertThat(prometheus.rules()).filteredOn(r -> "recording".equals(r.path("type").asText())).hasSize(10)
                .allSatisfy(r -> assertThat(r.path("health").asText()).as(r.path("name").asText()).isEqualTo("ok"));
    }

    @Test
    @Order(5)
    void healthyRunFiresNothing() {
        // Every rule evaluated on data scraped after now, then none may be active.
        prometheus.awaitRulesEvaluatedAfter(Instant.now(), TIMEOUT);
        assertThat(prometheus.rules()).filteredOn(r -> "alerting".equals(r.path("type").asText()))
                .allSatisfy(r -> assertThat(r.path("state").asText()).as(r.path("name").asText())
                        .isEqualTo("inactive"));
        assertThat(prometheus.alerts()).isEmpty();
    }

    @Test
    @Order(6)
    void scriptedCollapseFiresTheMatchingAlerts() {
        // dense1: 64 distinct neurons merge into 8 and 40 of its 64 neurons die; training stops (last step at 0).
        target.serve(exposition(8, 40, 0));

        Set<String> expected = Set.of("NoetherNeuronCollapse", "NoetherDeadNeurons", "NoetherTrainingStalled");
        List<JsonNode> alerts = prometheus.awaitAlerts(a -> firing(a).keySet().equals(expected), TIMEOUT);

        Map<String, JsonNode> byName = firing(alerts);
        assertThat(byName.get("NoetherNeuronCollapse").path("labels").path("layer").asText()).isEqualTo("dense1");
        assertThat(Double.parseDouble(byName.get("NoetherNeuronCollapse").path("value").asText()))
                .isEqualTo(1 - 8 / 64.0);
        assertThat(Double.parseDouble(byName.get("NoetherDeadNeurons").path("value").asText()))
                .isEqualTo(40 / 64.0);
        assertThat(byName.get("NoetherTrainingStalled").path("labels").path("model").asText()).isEqualTo("demo");
        assertThat(byName.get("NoetherDeadNeurons").path("annotations").path("description").asText())
                .contains("62.5% of the neurons of layer dense1 (model demo");
    }

    private static Map<String, JsonNode> firing(List<JsonNode> alerts) {
        return alerts.stream().filter(a -> "firing".equals(a.path("state").asText()))
                .collect(Collectors.toMap(a -> a.path("labels").path("alertname").asText(), a -> a, (a, b) -> a,
                        TreeMap::new));
    }
}
