package dev.noether.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every PromQL expression of both dashboards (panel targets, annotation queries, the selectors of the
 * label_values variables), with the template variables substituted, is valid PromQL: written as
 * recording rules and checked with {@code promtool check rules}.
 */
class DashboardPromqlTest {

    @TempDir
    Path dir;

    static Stream<GrafanaDashboard> dashboards() {
        return Stream.of(GrafanaDashboard.load(ModuleFiles.OVERVIEW_DASHBOARD),
                GrafanaDashboard.load(ModuleFiles.LAYER_DASHBOARD));
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void everyExpressionPassesPromtool(GrafanaDashboard dashboard) throws IOException {
        TemplateVariables variables = TemplateVariables.matchingEverything();
        List<String> exprs = dashboard.promqlExpressions().stream().map(variables::substitute).toList();
        assertThat(exprs).hasSizeGreaterThan(20).allSatisfy(e -> assertThat(e).doesNotContain("$"));

        Promtool.Result result = Promtool.checkRules(asRecordingRules(exprs));

        assertThat(result.succeeded()).as(result.output()).isTrue();
        assertThat(result.output()).contains("SUCCESS: " + exprs.size() + " rules found");
    }

    @Test
    void aBrokenExpressionFailsTheCheck() throws IOException {
        Promtool.Result result = Promtool.checkRules(asRecordingRules(
                List.of("noether_loss", "sum by (layer) (noether_neurons_dead{layer=~\".*\"}")));
        assertThat(result.succeeded()).isFalse();
        assertThat(result.output()).contains("noether_dashboard_query_2");
    }

    /** One recording rule per expression, as a YAML block scalar so that any PromQL text fits. */
    private Path asRecordingRules(List<String> exprs) throws IOException {
        StringBuilder yaml = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
        for (int i = 0; i < exprs.size(); i++) {
            yaml.append("      - record: noether_dashboard_query_").append(i + 1).append('\n')
                    .append("        expr: |\n");
            for (String line : exprs.get(i).split("\n")) {
                yaml.append("          ").append(line).append('\n');
            }
        }
        Path file = dir.resolve("dashboard-queries.yml");
        Files.writeString(file, yaml);
        return file;
    }
}
