package dev.noether.exporter;

import dev.noether.core.runtime.ScrapeConsistency;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/** The registry in a Prometheus text format, chosen by the scraper's Accept header, never mixing two reports. */
final class Exposition {
    /** Prometheus text format 0.0.4, what {@code promtool check metrics} and the Pushgateway read. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    // the size of the last exposition, and so of the next: growing a buffer from 16 KiB to a 100-layer model's
    // 150 KiB copied it four times, 15 % of a scrape
    private static volatile int expectedSize = 16 * 1024;

    private Exposition() {}

    /**
     * Writes the registry in {@code contentType} ({@link #PROMETHEUS_TEXT} or {@link #OPENMETRICS_TEXT}).
     * The meters are read under {@link ScrapeConsistency#read}, so the lock is held only while the
     * gauges are read, never while the bytes travel to a slow client.
     */
    static byte[] scrape(PrometheusMeterRegistry registry, String contentType) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(expectedSize);
        ScrapeConsistency.read(() -> {
            try {
                registry.scrape(out, contentType);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
            }
            return null;
        });
        expectedSize = Math.max(16 * 1024, out.size() + out.size() / 16);
        return out.toByteArray();
    }

    /**
     * OpenMetrics if the Accept header prefers it (Prometheus asks for it first), otherwise Prometheus text
     * 0.0.4, which every scraper reads. Weights ({@code q=}) are honoured; unknown types are ignored.
     */
    static String negotiate(String accept) {
        if (accept == null) return PROMETHEUS_TEXT;
        double openMetrics = 0;
        double text = 0;
        for (String range : accept.split(",")) {
            String[] parts = range.split(";");
            String type = parts[0].trim().toLowerCase(Locale.ROOT);
            double q = quality(parts);
            if (type.equals("application/openmetrics-text")) {
                openMetrics = Math.max(openMetrics, q);
            } else if (type.equals("text/plain") || type.equals("text/*") || type.equals("*/*")) {
                text = Math.max(text, q);
            }
        }
        return openMetrics > 0 && openMetrics >= text ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
    }

    private static double quality(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            if (p.startsWith("q=")) {
                try {
                    return Double.parseDouble(p.substring(2));
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }
}
