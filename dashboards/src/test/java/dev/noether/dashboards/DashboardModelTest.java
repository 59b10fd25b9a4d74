package dev.noether.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The JSON models of both dashboards: layout, data source, units, titles and variables. */
class DashboardModelTest {

    private static final String DATASOURCE = "${datasource}";
    private static final int GRID_WIDTH = 24;
    /** rate(x[range]), irate(...), increase(...): the range must be $__rate_interval. */
    private static final Pattern RANGE_FUNCTION = Pattern.compile("\\b(?:rate|irate|increase)\\s*\\([^\\[]*\\[([^]]*)]");

    static Stream<GrafanaDashboard> dashboards() {
        return Stream.of(GrafanaDashboard.load(ModuleFiles.OVERVIEW_DASHBOARD),
                GrafanaDashboard.load(ModuleFiles.LAYER_DASHBOARD));
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void isAnImportableModel(GrafanaDashboard dashboard) {
        JsonNode root = dashboard.root();
        assertThat(root.path("schemaVersion").asInt()).isEqualTo(39);
        assertThat(root.path("id").isNull()).as("id must be null so that import creates a dashboard").isTrue();
        assertThat(root.path("uid").asText()).startsWith("noether-");
        assertThat(root.path("title").asText()).isNotBlank();
        assertThat(root.path("panels").size()).isGreaterThan(10);
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void panelIdsAreUnique(GrafanaDashboard dashboard) {
        Set<Integer> seen = new HashSet<>();
        for (JsonNode panel : dashboard.panels()) {
            assertThat(panel.path("id").isInt()).as("id of " + panel.path("title")).isTrue();
            assertThat(seen.add(panel.path("id").asInt())).as("duplicate id " + panel.path("id")).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void panelsFitTheGridWithoutOverlapping(GrafanaDashboard dashboard) {
        List<JsonNode> panels = dashboard.panels();
        List<String> problems = new ArrayList<>();
        for (JsonNode p : panels) {
            JsonNode g = p.path("gridPos");
            if (g.path("x").asInt() < 0 || g.path("y").asInt() < 0 || g.path("w").asInt() < 1
                    || g.path("h").asInt() < 1 || g.path("x").asInt() + g.path("w").asInt() > GRID_WIDTH) {
                problems.add("outside the grid: " + p.path("title") + " " + g);
            }
        }
        for (int i = 0; i < panels.size(); i++) {
            for (int j = i + 1; j < panels.size(); j++) {
                if (overlap(panels.get(i).path("gridPos"), panels.get(j).path("gridPos"))) {
                    problems.add(panels.get(i).path("title") + " overlaps " + panels.get(j).path("title"));
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    /** Half-open rectangles [x, x+w) x [y, y+h): touching edges do not overlap. */
    static boolean overlap(JsonNode a, JsonNode b) {
        return a.path("x").asInt() < b.path("x").asInt() + b.path("w").asInt()
                && b.path("x").asInt() < a.path("x").asInt() + a.path("w").asInt()
                && a.path("y").asInt() < b.path("y").asInt() + b.path("h").asInt()
                && b.path("y").asInt() < a.path("y").asInt() + a.path("h").asInt();
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void everyPanelHasTitleUnitAndDescription(GrafanaDashboard dashboard) {
        for (JsonNode panel : dashboard.panels()) {
            if (GrafanaDashboard.isRow(panel)) {
                assertThat(panel.path("title").asText()).as("row title").isNotBlank();
                continue;
            }
            String title = panel.path("title").asText();
            assertThat(title).as("title of panel " + panel.path("id")).isNotBlank();
            assertThat(panel.path("fieldConfig").path("defaults").path("unit").asText()).as("unit of " + title)
                    .isNotBlank();
            assertThat(panel.path("description").asText()).as("description of " + title).isNotBlank();
            assertThat(panel.path("targets").size()).as("queries of " + title).isPositive();
        }
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void everyQueryUsesTheDatasourceVariable(GrafanaDashboard dashboard) {
        for (JsonNode panel : dashboard.panels()) {
            if (!GrafanaDashboard.isRow(panel)) {
                assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText())
                        .isEqualTo(DATASOURCE);
            }
        }
        for (PanelQuery query : dashboard.panelQueries()) {
            assertThat(query.datasourceUid()).as(query.toString()).isEqualTo(DATASOURCE);
        }
        for (JsonNode annotation : dashboard.prometheusAnnotations()) {
            assertThat(annotation.path("datasource").path("uid").asText()).isEqualTo(DATASOURCE);
        }
        for (JsonNode variable : dashboard.variables()) {
            if ("query".equals(variable.path("type").asText())) {
                assertThat(variable.path("datasource").path("uid").asText()).isEqualTo(DATASOURCE);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void hasTheDatasourceAndLabelVariables(GrafanaDashboard dashboard) {
        JsonNode datasource = dashboard.variable("datasource");
        assertThat(datasource.path("type").asText()).isEqualTo("datasource");
        assertThat(datasource.path("query").asText()).isEqualTo("prometheus");
        for (String name : List.of("job", "instance", "model", "layer")) {
            JsonNode variable = dashboard.variable(name);
            assertThat(variable.path("type").asText()).as(name).isEqualTo("query");
            assertThat(variable.path("query").asText()).as(name).startsWith("label_values(").endsWith(", " + name + ")");
        }
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void ratesUseTheRateInterval(GrafanaDashboard dashboard) {
        int ranges = 0;
        for (PanelQuery query : dashboard.panelQueries()) {
            Matcher m = RANGE_FUNCTION.matcher(query.expr());
            while (m.find()) {
                ranges++;
                assertThat(m.group(1)).as(query.toString()).isEqualTo("$__rate_interval");
            }
        }
        assertThat(ranges).as("rates in " + dashboard.name()).isPositive();
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void noetherQueriesFilterByJobInstanceAndModel(GrafanaDashboard dashboard) {
        for (PanelQuery query : dashboard.panelQueries()) {
            if (!query.readsGpuExporter()) {
                assertThat(query.expr()).as(query.toString())
                        .contains("job=~\"$job\"", "instance=~\"$instance\"", "model=~\"$model\"");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void layerQueriesFilterByLayer(GrafanaDashboard dashboard) {
        for (PanelQuery query : dashboard.panelQueries()) {
            if (query.expr().contains("noether_neurons_") || query.expr().contains("noether_crh_")
                    || query.expr().contains("noether_layer_effective_rank")) {
                assertThat(query.expr()).as(query.toString()).contains("layer=~\"$layer\"");
            }
        }
    }

    @Test
    void overlapDetectsSharedAreaButNotSharedEdges() {
        ObjectMapper json = new ObjectMapper();
        JsonNode a = json.createObjectNode().put("x", 0).put("y", 0).put("w", 12).put("h", 8);
        JsonNode rightNeighbour = json.createObjectNode().put("x", 12).put("y", 0).put("w", 12).put("h", 8);
        JsonNode below = json.createObjectNode().put("x", 0).put("y", 8).put("w", 24).put("h", 1);
        JsonNode inside = json.createObjectNode().put("x", 11).put("y", 7).put("w", 2).put("h", 2);
        assertThat(overlap(a, rightNeighbour)).isFalse();
        assertThat(overlap(a, below)).isFalse();
        assertThat(overlap(a, inside)).isTrue();
        assertThat(overlap(rightNeighbour, inside)).isTrue();
    }

    @Test
    void overviewHasTheGpuRowAndThePhaseTimeline() {
        GrafanaDashboard overview = GrafanaDashboard.load(ModuleFiles.OVERVIEW_DASHBOARD);
        List<PanelQuery> queries = overview.panelQueries();
        // each GPU panel: DCGM or nvidia_gpu_exporter or Noether's own NVML gauges, whichever exists
        assertThat(queries).filteredOn(q -> q.expr().contains("DCGM_FI_DEV_GPU_UTIL{") && q.expr().contains("} / 100 or ")
                && q.expr().contains(" or nvidia_smi_utilization_gpu_ratio{")
                && q.expr().contains(" or noether_gpu_utilization{")).hasSize(1);
        assertThat(queries).filteredOn(q -> q.expr().contains("DCGM_FI_DEV_FB_USED{")
                && q.expr().contains(" or nvidia_smi_memory_used_bytes{")
                && q.expr().contains(" or noether_gpu_memory_used_bytes{")).hasSize(1);
        assertThat(queries).filteredOn(q -> q.expr().contains("DCGM_FI_DEV_POWER_USAGE{")
                && q.expr().contains(" or nvidia_smi_power_draw_watts{")
                && q.expr().contains(" or noether_gpu_power_watts{")).hasSize(1);
        assertThat(queries).filteredOn(q -> q.expr().contains("DCGM_FI_DEV_GPU_TEMP{")
                && q.expr().contains(" or nvidia_smi_temperature_gpu{")
                && q.expr().contains(" or noether_gpu_temperature_celsius{")).hasSize(1);
        assertThat(overview.panels()).filteredOn(p -> "state-timeline".equals(p.path("type").asText()))
                .singleElement()
                .satisfies(p -> assertThat(p.path("targets").get(0).path("expr").asText()).contains("noether_crh_phase"));
    }
}
