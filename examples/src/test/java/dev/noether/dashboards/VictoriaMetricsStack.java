package dev.noether.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.util.List;
import java.util.function.Predicate;

/**
 * The distributed store of the README's "Many workers" section, for real, on loopback: {@code victoria-metrics}
 * (the store), {@code vmagent} (discovers the workers through the {@code targets} folder's file_sd files, scrapes them
 * every {@link #SCRAPE_INTERVAL} and remote-writes to the store) and {@code vmalert} (evaluates rule files against the
 * store, writes the recorded series back, sends alerts to a stand-in Alertmanager in this JVM). Debian package
 * {@code victoria-metrics}. Each runs in its own folder under the given one; {@link #close()} stops the three
 * processes this class started and nothing else.
 */
final class VictoriaMetricsStack implements AutoCloseable {
    static final Duration SCRAPE_INTERVAL = Duration.ofSeconds(3);
    static final Duration FILE_SD_CHECK = Duration.ofSeconds(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Path dir;
    private HttpServer alertmanager;
    private URI store;
    private URI agent;
    private URI alert;

    private VictoriaMetricsStack(Path dir) {
        this.dir = dir;
    }

    /** Starts the store, the scraper of {@code targets/*.json} and the rule evaluator of {@code ruleFiles}. */
    static VictoriaMetricsStack start(Path dir, Path targets, List<Path> ruleFiles) throws IOException {
        VictoriaMetricsStack s = new VictoriaMetricsStack(dir);
        try {
            s.startAll(targets, ruleFiles);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void startAll(Path targets, List<Path> ruleFiles) throws IOException {
        int storePort = freePort();
        store = URI.create("http://127.0.0.1:" + storePort);
        launch("victoria-metrics", "-httpListenAddr=127.0.0.1:" + storePort,
                "-storageDataPath=" + Files.createDirectories(dir.resolve("vm-data")),
                "-retentionPeriod=1d", "-search.latencyOffset=0s", "-loggerLevel=WARN");
        awaitHealthy(store);

        Path scrapeConfig = dir.resolve("vmagent.yml");
        Files.writeString(scrapeConfig, """
                global:
                  scrape_interval: %ds
                  scrape_timeout: %ds
                scrape_configs:
                  - job_name: noether
                    # the exposition's run, worker and model labels win over the target file's
                    honor_labels: true
                    file_sd_configs:
                      - files: ['%s/*.json']
                """.formatted(SCRAPE_INTERVAL.toSeconds(), SCRAPE_INTERVAL.toSeconds() - 1, targets.toAbsolutePath()));
        int agentPort = freePort();
        agent = URI.create("http://127.0.0.1:" + agentPort);
        launch("vmagent", "-httpListenAddr=127.0.0.1:" + agentPort, "-promscrape.config=" + scrapeConfig,
                "-promscrape.fileSDCheckInterval=" + FILE_SD_CHECK.toSeconds() + "s",
                "-remoteWrite.url=" + store + "/api/v1/write", "-remoteWrite.flushInterval=1s",
                "-remoteWrite.tmpDataPath=" + Files.createDirectories(dir.resolve("vmagent-data")), "-loggerLevel=WARN");
        awaitHealthy(agent);

        alertmanager = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        alertmanager.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        alertmanager.start();
        int alertPort = freePort();
        alert = URI.create("http://127.0.0.1:" + alertPort);
        List<String> args = new ArrayList<>(List.of("vmalert", "-httpListenAddr=127.0.0.1:" + alertPort,
                "-datasource.url=" + store, "-remoteWrite.url=" + store, "-remoteRead.url=" + store,
                "-notifier.url=http://127.0.0.1:" + alertmanager.getAddress().getPort(),
                "-evaluationInterval=" + SCRAPE_INTERVAL.toSeconds() + "s", "-loggerLevel=WARN"));
        for (Path rules : ruleFiles) args.add("-rule=" + rules.toAbsolutePath());
        launch(args.toArray(String[]::new));
        awaitHealthy(alert);
    }

    private void launch(String... command) throws IOException {
        Path log = dir.resolve(command[0] + ".log");
        processes.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start());
    }

    /** The store's answer to an instant query: the {@code result} array. */
    List<JsonNode> query(String promql) {
        JsonNode answer = get(store, "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (!"success".equals(answer.path("status").asText())) {
            throw new AssertionError("query failed: " + promql + ": " + answer);
        }
        return list(answer.path("data").path("result"));
    }

    /** Polls {@link #query} until {@code condition} holds; fails with the last answer after {@code timeout}. */
    List<JsonNode> awaitQuery(String promql, Predicate<List<JsonNode>> condition, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        List<JsonNode> last = query(promql);
        while (!condition.test(last)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no matching answer within " + timeout + " to " + promql + ": " + last);
            }
            pause(250);
            last = query(promql);
        }
        return last;
    }

    /** The scraper's active targets, each with its {@code labels}, {@code scrapeUrl} and {@code health}. */
    List<JsonNode> activeTargets() {
        return list(get(agent, "/api/v1/targets").path("data").path("activeTargets"));
    }

    /** vmalert's rules, every group flattened: each with {@code name}, {@code type}, {@code health}, {@code lastError}. */
    List<JsonNode> rules() {
        List<JsonNode> rules = new ArrayList<>();
        for (JsonNode group : get(alert, "/api/v1/rules").path("data").path("groups")) {
            group.path("rules").forEach(rules::add);
        }
        return rules;
    }

    private JsonNode get(URI base, String path) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitHealthy(URI base) {
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            for (Process p : processes) {
                if (!p.isAlive()) throw new IllegalStateException(p.info().command().orElse("?") + " exited: " + logs());
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/health"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException notYet) {
                // keep polling
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            pause(200);
        }
        throw new IllegalStateException(base + " not healthy after 30 s: " + logs());
    }

    /** The three logs, for a failure message. */
    String logs() {
        StringBuilder out = new StringBuilder();
        for (String name : List.of("victoria-metrics", "vmagent", "vmalert")) {
            Path log = dir.resolve(name + ".log");
            try {
                if (Files.exists(log)) {
                    String text = Files.readString(log);
                    out.append("\n--- ").append(name).append(":\n").append(text, Math.max(0, text.length() - 2000), text.length());
                }
            } catch (IOException e) {
                out.append("\n(").append(log).append(": ").append(e).append(')');
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        if (alertmanager != null) alertmanager.stop(0);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
