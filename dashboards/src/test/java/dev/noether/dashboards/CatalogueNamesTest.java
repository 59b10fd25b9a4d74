package dev.noether.dashboards;

import dev.noether.core.catalogue.MetricFamily;
import dev.noether.gpu.NvmlGpuMetrics;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Noether series a dashboard or a rule reads is a sample of the metric catalogue ({@link MetricFamily}) or
 * one of the GPU gauges ({@link NvmlGpuMetrics#PROMETHEUS_NAMES}, per machine, outside core's catalogue), so a
 * renamed or mistyped metric fails here instead of showing an empty panel. Recording rules' own names
 * ({@code noether_steps:rate5m}, with a colon) are not series of the catalogue.
 */
class CatalogueNamesTest {
    private static final Pattern SERIES = Pattern.compile("\\bnoether_[a-z0-9_]+\\b(?!:)");

    static Stream<Path> files() {
        return Stream.of(ModuleFiles.OVERVIEW_DASHBOARD, ModuleFiles.LAYER_DASHBOARD, ModuleFiles.ALERT_RULES,
                ModuleFiles.RECORDING_RULES);
    }

    @ParameterizedTest
    @MethodSource("files")
    void readsOnlySeriesOfTheCatalogue(Path file) throws IOException {
        Set<String> samples = MetricFamily.all().stream().flatMap(f -> f.prometheusSamples().stream())
                .collect(Collectors.toCollection(TreeSet::new));
        samples.addAll(NvmlGpuMetrics.PROMETHEUS_NAMES);
        Set<String> read = new TreeSet<>();
        Matcher m = SERIES.matcher(Files.readString(file));
        while (m.find()) {
            read.add(m.group());
        }
        assertThat(read).as("series read by %s", file.getFileName()).isNotEmpty();
        assertThat(samples).as("catalogue samples, for the series of %s", file.getFileName()).containsAll(read);
    }
}
