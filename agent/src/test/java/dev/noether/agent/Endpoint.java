package dev.noether.agent;

import java.net.URI;
import java.time.Duration;

/** The agent's metrics endpoint in a child JVM. */
final class Endpoint {
    private Endpoint() {}

    static URI metrics(int port) {
        return URI.create("http://127.0.0.1:" + port + "/metrics");
    }

    /**
     * Scrapes until each of {@code models} shows a finished heavy analysis (series appear as reports arrive),
     * then returns that scrape.
     */
    static PrometheusText afterAnalysis(int port, Duration timeout, String... models) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        PrometheusText last = null;
        while (System.nanoTime() < deadline) {
            last = PrometheusText.scrape(metrics(port));
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
