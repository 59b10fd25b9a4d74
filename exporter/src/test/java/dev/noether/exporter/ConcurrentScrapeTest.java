package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.noether.core.runtime.ScrapeConsistency;
import io.micrometer.core.instrument.Gauge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** Scrapes never show a layer half from one report and half from the next. */
class ConcurrentScrapeTest {
    /** A report as core publishes it: immutable, replaced as a whole. */
    record Report(double weightNorm, double updateRatio, double stableRank, double effectiveRank, double deadNeurons) {
        static Report all(double k) {
            return new Report(k, k, k, k, k);
        }
    }

    private volatile Report current = Report.all(0);

    @Test
    void eightThreadsScraping500TimesEachWhileReportsAreReplaced() throws Exception {
        try (NoetherExporter exporter = NoetherExporter.builder().port(0).start()) {
            register(exporter, "noether.layer.weight.norm", Report::weightNorm);
            register(exporter, "noether.layer.update.ratio", Report::updateRatio);
            register(exporter, "noether.layer.stable.rank", Report::stableRank);
            register(exporter, "noether.layer.effective.rank", Report::effectiveRank);
            register(exporter, "noether.neurons.dead", Report::deadNeurons);

            AtomicBoolean scraping = new AtomicBoolean(true);
            Thread publisher = new Thread(() -> {
                for (long k = 1; scraping.get(); k++) {
                    Report next = Report.all(k);
                    ScrapeConsistency.publish(() -> current = next);
                    LockSupport.parkNanos(100_000); // many replacements per scrape, without starving the scrapers of CPU
                }
            });
            publisher.start();

            URI metrics = exporter.url().resolve("/metrics");
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            Set<Double> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
            ExecutorService scrapers = Executors.newFixedThreadPool(8);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build(); // one client, 8 callers
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                done.add(scrapers.submit(() -> {
                    start.await();
                    for (int i = 0; i < 500; i++) {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            problems.add("HTTP " + r.statusCode());
                            continue;
                        }
                        Set<Double> values = layerValues(r.body());
                        if (values.size() != 1 || layerLines(r.body()) != 5) problems.add("mixed or missing: " + values);
                        seen.addAll(values);
                    }
                    return null;
                }));
            }
            start.countDown();
            try {
                for (Future<?> f : done) f.get();
            } finally {
                scraping.set(false);
                publisher.join();
                scrapers.shutdown();
            }

            assertThat(problems).isEmpty();
            // the reports really changed under the scrapers: 4000 scrapes saw many different reports
            assertThat(seen.size()).isGreaterThan(100);
        }
    }

    private void register(NoetherExporter exporter, String name, ToDoubleFunction<Report> field) {
        // each gauge reads the current report by itself, like Noether's binder: only the lock keeps them together
        Gauge.builder(name, this, self -> field.applyAsDouble(self.current)).description("test gauge " + name)
                .tags("model", "mlp", "layer", "l1").register(exporter.registry());
    }

    private static Set<Double> layerValues(String exposition) {
        Set<Double> values = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            if (!line.startsWith("#") && line.contains("layer=\"l1\"")) {
                values.add(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        return values;
    }

    private static long layerLines(String exposition) {
        return exposition.lines().filter(l -> !l.startsWith("#") && l.contains("layer=\"l1\"")).count();
    }
}
