package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.noether.core.micrometer.NoetherMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The exporter's own registry exposes what a plain Micrometer {@link PrometheusMeterRegistry} exposes for the
 * same meters: the same samples (names, labels, values) and the same HELP and TYPE per family, in both formats,
 * read back by {@link ParsedExposition} from the exporter's endpoint and from the plain registry's text.
 */
class ExporterRegistryExpositionTest {
    private NoetherExporter exporter;
    private PrometheusMeterRegistry plain;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        exporter = NoetherExporter.builder().port(0).gpuMetrics(false).commonTags("run", "r1").start();
        plain = new PrometheusMeterRegistry(ExporterPrometheusConfig.INSTANCE);
        plain.config().commonTags("run", "r1");
    }

    @AfterEach
    void stop() {
        exporter.close();
        plain.close();
    }

    @Test
    void aDeepModelBeforeAndAfterItsFirstAnalysis() throws Exception {
        DeepModel model = new DeepModel(6, 8);
        try (NoetherMetrics binder = new NoetherMetrics(model.monitor)) {
            binder.bindTo(exporter.registry());
            binder.bindTo(plain);
            model.step(0);
            model.step(1);
            ParsedExposition steps = assertSameExposition();

            model.analyze(1); // the analysis series appear
            ParsedExposition analysed = assertSameExposition();
            assertThat(steps.type()).doesNotContainKey("noether_layer_stable_rank");
            assertThat(analysed.samples().keySet().stream().filter(s -> s.name().equals("noether_layer_stable_rank"))).hasSize(6);
            assertThat(analysed.type()).containsEntry("noether_charge", "gauge").containsEntry("noether_layer_info", "gauge")
                    .containsEntry("noether_nonfinite_total", "counter");
        } finally {
            model.monitor.close();
        }
    }

    @Test
    void seriesThatComeGoAndTurnNaN() throws Exception {
        Map<String, Double> charges = new ConcurrentHashMap<>(Map.of("a", 1.25, "b", -3.0));
        for (MeterRegistry r : List.of(exporter.registry(), plain)) {
            for (String pair : List.of("a", "b")) {
                charge(r, charges, pair);
            }
            Gauge.builder("noether.last.step.timestamp", () -> 1.7e9).baseUnit("seconds").tags("model", "m").register(r);
            Gauge.builder("noether.loss", () -> 0.5).tags("model", "m").register(r); // no description: HELP " "
            Gauge.builder("noether.info", () -> 1).description("Noether build and run information")
                    .tags("model", "m", "version", "0.1", "unsupported", "a \"quoted\\\" name\nover two lines").register(r);
            FunctionCounter.builder("noether.nonfinite", charges, c -> c.size()).description("Non-finite values")
                    .tags("model", "m", "layer", "l1").register(r);
            Counter.builder("noether.steps").description("Training steps observed").tags("model", "m").register(r).increment(3);
            Timer.builder("noether.analysis").description("Time spent analysing").tags("model", "m", "tier", "heavy")
                    .register(r).record(Duration.ofMillis(7));
        }
        ParsedExposition before = assertSameExposition();
        assertThat(before.samples()).containsEntry(sample("noether_charge", "pair", "b", "symmetry", "rescaling"), -3.0);

        charges.remove("a"); // no longer measured: NaN, as Noether's gauges read a series the report lacks
        charges.put("b", 4.5);
        charges.put("c", 0.125);
        for (MeterRegistry r : List.of(exporter.registry(), plain)) {
            charge(r, charges, "c");
            r.remove(r.get("noether.loss").gauge());
        }
        ParsedExposition after = assertSameExposition();
        assertThat(after.samples()).containsEntry(sample("noether_charge", "pair", "a", "symmetry", "rescaling"), Double.NaN)
                .containsEntry(sample("noether_charge", "pair", "b", "symmetry", "rescaling"), 4.5)
                .containsEntry(sample("noether_charge", "pair", "c", "symmetry", "rescaling"), 0.125)
                .containsEntry(sample("noether_nonfinite_total", "layer", "l1"), 2.0)
                .doesNotContainKey(sample("noether_loss"));
        assertThat(after.help()).doesNotContainKey("noether_loss");
    }

    @Test
    void aPrometheusNameTakenByAnotherMeterIsRefusedAsMicrometerRefusesIt() throws Exception {
        for (MeterRegistry r : List.of(exporter.registry(), plain)) {
            Gauge.builder("noether.charge", () -> 2).tags("model", "m").register(r);
            Counter.builder("noether.charge").tags("model", "m", "pair", "x").register(r).increment(); // another type
            Gauge.builder("noether_charge", () -> 3).tags("model", "m", "pair", "y").register(r); // another name
            Timer.builder("noether.analysis").tags("model", "m").register(r).record(Duration.ofMillis(2));
            Gauge.builder("noether.analysis.seconds", () -> 4).tags("model", "m", "pair", "z").register(r);
            // not refused: the name of the timer's second family, which the writer merges with this one
            Gauge.builder("noether.analysis.seconds.max", () -> 5).tags("model", "m", "pair", "w").register(r);
        }
        ParsedExposition both = assertSameExposition();
        assertThat(both.samples()).containsEntry(sample("noether_charge"), 2.0)
                .doesNotContainKey(sample("noether_charge_total", "pair", "x"))
                .doesNotContainKey(sample("noether_charge", "pair", "y"))
                .doesNotContainKey(sample("noether_analysis_seconds", "pair", "z"))
                .containsKey(sample("noether_analysis_seconds_count"))
                .containsKey(sample("noether_analysis_seconds_max"))
                .containsEntry(sample("noether_analysis_seconds_max", "pair", "w"), 5.0);
    }

    @Test
    void prebuiltFamiliesComeFirstFromTheirSavedTextAndTheWholeScrapeFallsBackWhenTheTextDoesNotFit() throws Exception {
        Properties created = new Properties();
        created.setProperty("io.prometheus.exporter.includeCreatedTimestamps", "true"); // _created lines after each counter
        PrometheusConfig withCreated = new PrometheusConfig() {
            @Override
            public String get(String key) {
                return null;
            }

            @Override
            public Properties prometheusProperties() {
                return created;
            }
        };
        ExporterMeterRegistry mine = new ExporterMeterRegistry(withCreated);
        PrometheusMeterRegistry theirs = new PrometheusMeterRegistry(withCreated);
        try {
            for (MeterRegistry r : List.of(exporter.registry(), plain, mine, theirs)) {
                Timer.builder("noether.analysis").tags("model", "m").register(r).record(Duration.ofMillis(2));
                FunctionCounter.builder("noether.nonfinite", this, self -> 5).tags("model", "m").register(r);
                Gauge.builder("noether.loss", () -> 0.5).tags("model", "m").register(r);
            }
            ParsedExposition fast = assertSameExposition();
            assertThat(fast.samples()).containsEntry(sample("noether_nonfinite_total"), 5.0);
            String text = new String(Exposition.scrape(exporter.registry(), Exposition.PROMETHEUS_TEXT), StandardCharsets.UTF_8);
            // sorted by name, as Micrometer writes them, the timer would come first
            assertThat(text.indexOf("# TYPE noether_analysis_seconds ")).isGreaterThan(text.indexOf("# TYPE noether_nonfinite_total "))
                    .isGreaterThan(text.indexOf("# TYPE noether_loss "));

            for (String contentType : List.of(Exposition.PROMETHEUS_TEXT, Exposition.OPENMETRICS_TEXT)) {
                String written = new String(Exposition.scrape(mine, contentType), StandardCharsets.UTF_8);
                ParsedExposition fallback = ParsedExposition.parse(written);
                ParsedExposition micrometer = ParsedExposition.parse(new String(Exposition.scrape(theirs, contentType),
                        StandardCharsets.UTF_8));
                assertThat(fallback.samples().keySet()).as(contentType).contains(sample("noether_nonfinite_created", "run", null));
                assertThat(withoutCreated(fallback)).as(contentType).isEqualTo(withoutCreated(micrometer));
                // the whole text as Micrometer writes it, sorted by name
                assertThat(written.indexOf("# TYPE noether_analysis_seconds ")).as(contentType)
                        .isLessThan(written.indexOf("# TYPE noether_loss "));
            }
        } finally {
            mine.close();
            theirs.close();
        }
    }

    /** The samples without the {@code _created} ones, whose values are each registry's registration time. */
    private static Map<ParsedExposition.Sample, Double> withoutCreated(ParsedExposition e) {
        Map<ParsedExposition.Sample, Double> samples = new java.util.HashMap<>(e.samples());
        samples.keySet().removeIf(s -> s.name().endsWith("_created"));
        return samples;
    }

    private static void charge(MeterRegistry r, Map<String, Double> charges, String pair) {
        Gauge.builder("noether.charge", charges, c -> c.getOrDefault(pair, Double.NaN))
                .description("Conserved charge \\ of the pair\nper neuron").tags("model", "m", "pair", pair, "symmetry", "rescaling")
                .register(r);
    }

    /** The sample {@code name} of model m, run r1, with these other labels (a null value: without that label). */
    private static ParsedExposition.Sample sample(String name, String... labels) {
        TreeMap<String, String> all = new TreeMap<>(Map.of("model", "m", "run", "r1"));
        for (int i = 0; i < labels.length; i += 2) {
            if (labels[i + 1] == null) {
                all.remove(labels[i]);
            } else {
                all.put(labels[i], labels[i + 1]);
            }
        }
        return new ParsedExposition.Sample(name, all);
    }

    /** The entries of {@code a} that {@code b} lacks or has with another value. */
    private static <K, V> Map<K, V> onlyIn(Map<K, V> a, Map<K, V> b) {
        Map<K, V> only = new java.util.HashMap<>(a);
        only.entrySet().removeIf(e -> e.getValue().equals(b.get(e.getKey())));
        return only;
    }

    /** Both formats: the endpoint's text equals the plain registry's as samples, HELP and TYPE; the text format's returned. */
    private ParsedExposition assertSameExposition() throws Exception {
        ParsedExposition text = null;
        for (String contentType : List.of(Exposition.PROMETHEUS_TEXT, Exposition.OPENMETRICS_TEXT)) {
            HttpResponse<String> served = http.send(HttpRequest.newBuilder(exporter.url().resolve("/metrics"))
                    .header("Accept", contentType).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(served.headers().firstValue("Content-Type")).hasValue(contentType);
            ParsedExposition fast = ParsedExposition.parse(served.body());
            ParsedExposition micrometer = ParsedExposition.parse(new String(Exposition.scrape(plain, contentType),
                    StandardCharsets.UTF_8));
            assertThat(fast.samples()).as(contentType).isNotEmpty();
            assertThat(onlyIn(fast.samples(), micrometer.samples())).as(contentType + ": only from the exporter").isEmpty();
            assertThat(onlyIn(micrometer.samples(), fast.samples())).as(contentType + ": only from Micrometer").isEmpty();
            assertThat(onlyIn(fast.help(), micrometer.help())).as(contentType + ": HELP").isEmpty();
            assertThat(onlyIn(fast.type(), micrometer.type())).as(contentType + ": TYPE").isEmpty();
            assertThat(fast).as(contentType).isEqualTo(micrometer);
            if (text == null) {
                text = fast;
            }
        }
        return text;
    }
}
