package dev.noether.agent;

import java.net.URI;
import java.time.Duration;

/** The agent's metrics endpoint in a child JVM. */
final class Endpoint {
    private Endpoint() {}

    /**
     * Scrapes until each of {@code models} shows a finished heavy analysis (series appear as reports arrive),
     * then returns that scrape.
     */
    static PrometheusText afterAnalysis(int port, Duration timeout, String... models) throws InterruptedException {
        return afterAnalysis(URI.create("http://127.0.0.1:" + port + "/"), timeout, models);
    }

    /** As {@link #afterAnalysis(int, Duration, String...)}, for an exporter at {@code base} (ending in /). */
    static PrometheusText afterAnalysis(URI base, Duration timeout, String... models) throws InterruptedException {
        URI url = base.resolve("metrics");
        long deadline = System.nanoTime() + timeout.toNanos();
        PrometheusText last = null;
        while (System.nanoTime() < deadline) {
            last = PrometheusText.scrape(url);
            if (analysed(last, models)) return last;
            Thread.sleep(200);
        }
        throw new AssertionError("no heavy analysis for " + String.join(", ", models) + " within " + timeout
                + "; last scrape had " + (last == null ? "nothing" : last.names()));
    }

    static boolean analysed(PrometheusText metrics, String... models) {
        for (String model : models) {
            var heavy = metrics.samples("noether_analysis_seconds_count", "model", model, "tier", "heavy");
            if (heavy.isEmpty() || heavy.get(0).value() < 1) return false;
        }
        return true;
    }
}
