package dev.noether.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A real Prometheus server (the {@code prometheus} binary of the Debian package) for tests: it runs
 * on a free loopback port with its own temporary storage, scrapes one target every second as job
 * {@value #JOB}, evaluates the given rule files every second, and is stopped on {@link #close()}.
 *
 * <pre>{@code
 * try (LocalPrometheus prometheus = LocalPrometheus.start("127.0.0.1:9464", List.of(alertRules))) {
 *     prometheus.awaitQuery("up == 1", r -> !r.isEmpty(), Duration.ofSeconds(20));
 *     List<JsonNode> result = prometheus.query("noether_steps_total");
 * }
 * }</pre>
 */
public final class LocalPrometheus implements AutoCloseable {

    /** The Prometheus server binary. */
    public static final Path BINARY = Path.of("/usr/bin/prometheus");
    /** The {@code job} label of the scraped target. */
    public static final String JOB = "noether";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;

    private final Process process;
    private final Path workDir;
    private final URI baseUri;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private LocalPrometheus(Process process, Path workDir, URI baseUri) {
        this.process = process;
        this.workDir = workDir;
        this.baseUri = baseUri;
    }

    /**
     * Starts Prometheus scraping {@code http://<target>/metrics}.
     *
     * @param target {@code host:port} of the process to scrape, e.g. {@code 127.0.0.1:9464}
     * @param ruleFiles alerting and recording rule files to load
     */
    public static LocalPrometheus start(String target, List<Path> ruleFiles) {
        return start(target, "/metrics", ruleFiles);
    }

    /**
     * Starts Prometheus scraping {@code http://<target><metricsPath>}, retrying on another port if
     * the free port it picked was taken in the meantime.
     */
    public static LocalPrometheus start(String target, String metricsPath, List<Path> ruleFiles) {
        try {
            Path workDir = Files.createTempDirectory("noether-prometheus");
            IllegalStateException failure = null;
            for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
                try {
                    return startOnce(workDir, target, metricsPath, ruleFiles, freeLoopbackPort());
                } catch (IllegalStateException e) {
                    if (!String.valueOf(e.getMessage()).contains("address already in use")) {
                        deleteRecursively(workDir);
                        throw e; // a bad rule file or flag: another port would not help
                    }
                    failure = e;
                }
            }
            deleteRecursively(workDir);
            throw failure;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static LocalPrometheus startOnce(Path workDir, String target, String metricsPath,
                                             List<Path> ruleFiles, int port) throws IOException {
        Path config = workDir.resolve("prometheus.yml");
        Files.writeString(config, config(target, metricsPath, ruleFiles));
        Path log = workDir.resolve("prometheus.log");
        Process process = new ProcessBuilder(BINARY.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + workDir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        LocalPrometheus prometheus = new LocalPrometheus(process, workDir, URI.create("http://127.0.0.1:" + port));
        try {
            prometheus.awaitReady(log);
            return prometheus;
        } catch (RuntimeException e) {
            prometheus.stopProcess();
            throw e;
        }
    }

    private static String config(String target, String metricsPath, List<Path> ruleFiles) {
        StringBuilder yaml = new StringBuilder()
                .append("global:\n")
                .append("  scrape_interval: 1s\n")
                .append("  scrape_timeout: 1s\n") // the default 10s would exceed the interval
                .append("  evaluation_interval: 1s\n")
                .append("rule_files:\n");
        for (Path file : ruleFiles) {
            yaml.append("  - ").append(quoted(file.toAbsolutePath().toString())).append('\n');
        }
        return yaml.append("scrape_configs:\n")
                .append("  - job_name: ").append(JOB).append('\n')
                .append("    metrics_path: ").append(quoted(metricsPath)).append('\n')
                .append("    static_configs:\n")
                .append("      - targets: [").append(quoted(target)).append("]\n")
                .toString();
    }

    private static String quoted(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void awaitReady(Path log) {
        Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("prometheus exited with " + process.exitValue() + ":\n" + read(log));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(baseUri.resolve("/-/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // keep polling
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            pause();
        }
        throw new IllegalStateException("prometheus not ready after " + STARTUP_TIMEOUT + ":\n" + read(log));
    }

    /** Base URL of the server, e.g. {@code http://127.0.0.1:41234}. */
    public URI baseUri() {
        return baseUri;
    }

    /**
     * Evaluates an instant query now through {@code /api/v1/query}.
     *
     * @return the {@code data.result} array (for a vector: objects with {@code metric} and {@code value})
     * @throws IllegalArgumentException if Prometheus rejects the query, with its error message
     */
    public List<JsonNode> query(String promql) {
        JsonNode response = post("/api/v1/query", "query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (!"success".equals(response.path("status").asText())) {
            throw new IllegalArgumentException(response.path("errorType").asText() + ": "
                    + response.path("error").asText() + " in query: " + promql);
        }
        return list(response.path("data").path("result"));
    }

    /** The pending and firing alerts of {@code /api/v1/alerts} (objects with labels, annotations, state, value). */
    public List<JsonNode> alerts() {
        return list(get("/api/v1/alerts").path("data").path("alerts"));
    }

    /** Every loaded rule of {@code /api/v1/rules}, groups flattened (objects with name, type, state, labels, ...). */
    public List<JsonNode> rules() {
        List<JsonNode> rules = new ArrayList<>();
        for (JsonNode group : get("/api/v1/rules").path("data").path("groups")) {
            group.path("rules").forEach(rules::add);
        }
        return rules;
    }

    /**
     * Repeats a query until its result satisfies {@code condition}, e.g. until data has been scraped.
     *
     * @return the first result that satisfied the condition
     * @throws AssertionError with the last result if the timeout passes first
     */
    public List<JsonNode> awaitQuery(String promql, Predicate<List<JsonNode>> condition, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        List<JsonNode> result;
        do {
            result = query(promql);
            if (condition.test(result)) {
                return result;
            }
            pause();
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("no matching result for " + promql + " within " + timeout + "; last: " + result);
    }

    /** Repeats {@link #alerts()} until the alerts satisfy {@code condition}. */
    public List<JsonNode> awaitAlerts(Predicate<List<JsonNode>> condition, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        List<JsonNode> alerts;
        do {
            alerts = alerts();
            if (condition.test(alerts)) {
                return alerts;
            }
            pause();
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("alerts did not reach the expected state within " + timeout + "; last: " + alerts);
    }

    /**
     * Waits until every rule has been evaluated after {@code instant}, e.g. after the data a test
     * wants the rules to see was scraped; then {@link #alerts()} reflects that data.
     */
    public void awaitRulesEvaluatedAfter(Instant instant, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        List<JsonNode> stale;
        do {
            stale = rules().stream().filter(rule -> !evaluatedAfter(rule, instant)).toList();
            if (stale.isEmpty()) {
                return;
            }
            pause();
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError(stale.size() + " rules not evaluated after " + instant + " within " + timeout
                + ", e.g. " + stale.get(0).path("name").asText());
    }

    /** lastEvaluation is RFC 3339 with an offset; a rule never evaluated reports year 1. */
    private static boolean evaluatedAfter(JsonNode rule, Instant instant) {
        String last = rule.path("lastEvaluation").asText();
        return !last.isEmpty() && Instant.parse(last).isAfter(instant);
    }

    /** Stops the server (SIGTERM, then SIGKILL if it hangs) and deletes its storage. */
    @Override
    public void close() {
        stopProcess();
        deleteRecursively(workDir);
    }

    private void stopProcess() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private JsonNode get(String path) {
        return send(HttpRequest.newBuilder(baseUri.resolve(path)).GET());
    }

    private JsonNode post(String path, String form) {
        return send(HttpRequest.newBuilder(baseUri.resolve(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)));
    }

    /** Error answers (400, 422) carry a JSON body with status "error": parse them too. */
    private JsonNode send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list;
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp folder is harmless
        }
    }
}
