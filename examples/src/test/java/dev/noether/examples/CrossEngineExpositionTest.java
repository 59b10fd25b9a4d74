package dev.noether.examples;

import dev.noether.core.catalogue.MetricFamily;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same architecture trained on DJL and on DL4J must expose the same metric names with the same label
 * names (values such as layer names and numbers may differ), so dashboards and alerts work for both.
 */
class CrossEngineExpositionTest {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})? ");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");

    @Test
    void djlAndDl4jExposeTheSameMetricsWithTheSameLabelNames() throws Exception {
        String djl = exposition(registry -> ExpositionRuns.djl(registry));
        String dl4j = exposition(registry -> ExpositionRuns.dl4j(registry));
        Map<String, Set<String>> djlFamilies = families(djl);
        Map<String, Set<String>> dl4jFamilies = families(dl4j);
        // present only while a layer is in a phase that predicts an exponent (METRICS.md §5): run-dependent
        djlFamilies.remove("noether_pah_exponent_predicted");
        dl4jFamilies.remove("noether_pah_exponent_predicted");
        assertThat(djlFamilies).containsKeys(Stream.of(MetricFamily.CHARGE, MetricFamily.CRH_ALIGNMENT,
                MetricFamily.NEURONS_DISTINCT, MetricFamily.STEPS, MetricFamily.INFO)
                .map(MetricFamily::prometheusName).toArray(String[]::new));
        assertThat(dl4jFamilies).isEqualTo(djlFamilies);
        // and they are the catalogue's families with the catalogue's tags
        for (MetricFamily family : MetricFamily.values()) {
            Set<String> labels = new TreeSet<>(family.tagKeys());
            labels.add("model");
            for (String sample : family.prometheusSamples()) {
                if (djlFamilies.containsKey(sample)) {
                    assertThat(djlFamilies.get(sample)).as("label names of %s", sample).isEqualTo(labels);
                }
            }
        }
        Set<String> samples = new TreeSet<>();
        MetricFamily.all().forEach(f -> samples.addAll(f.prometheusSamples()));
        assertThat(samples).as("every exposed family is in the catalogue").containsAll(djlFamilies.keySet());
    }

    /**
     * Issue 12: the same LeNet on both engines exposes the same families with the same label names, including
     * the conv layers' info series (kind, shape) and the pairs through pooling and flattening.
     */
    @Test
    void aLeNetOnDjlAndDl4jExposesTheSameMetricsWithTheSameLabelNames() throws Exception {
        String djl = exposition(LeNetRuns::djl);
        String dl4j = exposition(LeNetRuns::dl4j);
        Map<String, Set<String>> djlFamilies = families(djl);
        Map<String, Set<String>> dl4jFamilies = families(dl4j);
        djlFamilies.remove("noether_pah_exponent_predicted");
        dl4jFamilies.remove("noether_pah_exponent_predicted");
        assertThat(djlFamilies).containsKeys("noether_charge", "noether_charge_residual", "noether_crh_alignment",
                "noether_layer_info", "noether_neurons_distinct", "noether_layer_effective_rank");
        assertThat(dl4jFamilies).isEqualTo(djlFamilies);
        for (String engine : new String[] {djl, dl4j}) {
            assertThat(engine).contains("kind=\"conv2d\"").contains("shape=\"16x6x5x5\"");
        }
    }

    interface Run {
        void train(PrometheusMeterRegistry registry) throws Exception;
    }

    private static String exposition(Run run) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        run.train(registry);
        return registry.scrape();
    }

    /** noether_* metric name → the label names of its samples (the values do not matter here). */
    static Map<String, Set<String>> families(String exposition) {
        Map<String, Set<String>> families = new TreeMap<>();
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.find() || !m.group(1).startsWith("noether_")) {
                continue;
            }
            Set<String> labels = new TreeSet<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
            Set<String> previous = families.putIfAbsent(m.group(1), labels);
            if (previous != null) {
                assertThat(labels).as("label names of %s", m.group(1)).isEqualTo(previous);
            }
        }
        return families;
    }
}
