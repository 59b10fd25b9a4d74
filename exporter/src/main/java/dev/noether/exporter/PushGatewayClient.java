package dev.noether.exporter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Pushes the exposition to a Prometheus Pushgateway: {@code PUT /metrics/job/<job>/<label>/<value>...}
 * with the text format as body, which replaces the group's metrics (the Pushgateway protocol). Written
 * on the JDK HTTP client instead of {@code prometheus-metrics-exporter-pushgateway}: see the module
 * README for why. A failed push is logged once per outage, counted in
 * {@code noether.errors{stage="push"}} and never thrown.
 */
final class PushGatewayClient {
    private static final System.Logger LOG = System.getLogger(PushGatewayClient.class.getName());
    // Characters a path segment may carry as they are; anything else goes base64url (label@base64/...).
    private static final Pattern PLAIN_SEGMENT = Pattern.compile("[A-Za-z0-9_.~-]+");
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final URI uri;
    private final Supplier<byte[]> exposition;
    private final Counter errors;
    private final HttpClient http;
    private boolean failing; // guarded by this

    /**
     * @param address     {@code host:port}, or a base URL such as {@code https://push.example.org:9091}
     * @param groupingKey labels besides {@code job} that identify this pusher's group (e.g. run, worker)
     * @param exposition  Prometheus text 0.0.4 of the metrics to push
     */
    PushGatewayClient(String address, String job, Map<String, String> groupingKey, Supplier<byte[]> exposition,
            MeterRegistry registry) {
        this.uri = groupUri(address, job, groupingKey);
        this.exposition = exposition;
        this.errors = ErrorCounter.forStage(registry, "push");
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    }

    URI uri() {
        return uri;
    }

    /** Pushes now; returns whether the Pushgateway accepted it. */
    synchronized boolean push() {
        try {
            HttpRequest request = HttpRequest.newBuilder(uri)
                    .timeout(TIMEOUT)
                    .header("Content-Type", Exposition.PROMETHEUS_TEXT)
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(exposition.get()))
                    .build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                String body = response.body().strip();
                return failed("HTTP " + response.statusCode() + (body.isEmpty() ? "" : ": " + abbreviate(body)));
            }
            if (failing) {
                failing = false;
                LOG.log(System.Logger.Level.INFO, "Pushgateway {0}: pushing again", uri);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed("interrupted");
        } catch (Exception e) {
            return failed(e.toString());
        }
    }

    private boolean failed(String why) {
        errors.increment();
        if (!failing) {
            failing = true;
            LOG.log(System.Logger.Level.WARNING, "Pushgateway push to {0} failed ({1}); training continues, "
                    + "failures are counted in noether_errors_total'{'stage=\"push\"'}'", uri, why);
        }
        return false;
    }

    static URI groupUri(String address, String job, Map<String, String> groupingKey) {
        String base = address.contains("://") ? address : "http://" + address;
        while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
        StringBuilder path = new StringBuilder(base).append("/metrics");
        appendLabel(path, "job", job);
        groupingKey.forEach((name, value) -> appendLabel(path, name, value));
        return URI.create(path.toString());
    }

    private static void appendLabel(StringBuilder path, String name, String value) {
        if (PLAIN_SEGMENT.matcher(value).matches()) {
            path.append('/').append(name).append('/').append(value);
        } else {
            // The Pushgateway's escape for values with '/' or other characters; "=" stands for the empty value.
            String encoded = value.isEmpty() ? "=" : Base64.getUrlEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
            path.append('/').append(name).append("@base64/").append(encoded);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
