package dev.noether.exporter.page;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training page: a static HTML/JS page drawing ECharts charts (from the echarts WebJar, served from this
 * jar) and the JSON endpoints it polls, all read from a {@link RunHistory}.
 *
 * <table>
 * <caption>Paths</caption>
 * <tr><td>{@code /}</td><td>the page</td></tr>
 * <tr><td>{@code /page.js}, {@code /page.css}, {@code /echarts.min.js}</td><td>its assets</td></tr>
 * <tr><td>{@code /api/run}</td><td>mode, model table, history counters, alert conditions, and live: JVM memory,
 *     monitor cost, GPU gauges</td></tr>
 * <tr><td>{@code /api/records?after=REV&epoch=E&limit=N}</td><td>the history's points changed since revision REV
 *     (N ≤ 5000): full-resolution records and buckets of older ones (see {@link RunHistory})</td></tr>
 * <tr><td>{@code /api/records?from=S&to=S&points=N&type=T&worker=W}</td><td>the points overlapping a step range, at
 *     most N per kind of record and worker</td></tr>
 * <tr><td>{@code /api/layer?name=L&worker=W}</td><td>the latest per-neuron details of worker W's layer L (default:
 *     the first worker): correlation heatmap in clustered order (at most 128×128 cells), the λ_H/λ_G points with
 *     fitted and predicted slopes, and the layer's histograms over time as heatmaps</td></tr>
 * </table>
 */
public final class TrainingPage {
    static final String ECHARTS = "META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";
    static final int MAX_LIMIT = 5000;
    static final int MAX_HEATMAP = 128;
    static final int DEFAULT_POINTS = 1000;
    static final int HISTOGRAM_ROWS = 32;
    private static final Set<String> PATHS = Set.of("/", "/page.js", "/page.css", "/echarts.min.js", "/api/run",
            "/api/records", "/api/layer");

    private final RunHistory history;
    private final MeterRegistry registry; // null in a replay
    private final ReplaySource replay; // null when live
    private final Map<String, byte[]> assets = new LinkedHashMap<>();

    private TrainingPage(RunHistory history, MeterRegistry registry, ReplaySource replay) {
        this.history = history;
        this.registry = registry;
        this.replay = replay;
    }

    /** The page of a running training: the history the exporter's report listener feeds, and its registry. */
    public static TrainingPage live(RunHistory history, MeterRegistry registry) {
        return new TrainingPage(history, registry, null);
    }

    /** The page of a finished run read back from its event log. */
    public static TrainingPage replay(RunHistory history, ReplaySource source) {
        return new TrainingPage(history, null, source);
    }

    /** The paths this page answers (exactly; queries aside). */
    public static Set<String> paths() {
        return PATHS;
    }

    /** The answer to GET {@code path} with the raw query string (or null). */
    public PageResponse get(String path, String rawQuery) {
        Map<String, String> query = query(rawQuery);
        try {
            return switch (path) {
                case "/" -> new PageResponse(200, "text/html; charset=utf-8", asset("index.html"));
                case "/page.js" -> new PageResponse(200, "text/javascript; charset=utf-8", asset("page.js"));
                case "/page.css" -> new PageResponse(200, "text/css; charset=utf-8", asset("page.css"));
                case "/echarts.min.js" -> new PageResponse(200, "text/javascript; charset=utf-8", asset(ECHARTS));
                case "/api/run" -> PageResponse.json(PageJson.MAPPER.writeValueAsBytes(run()));
                case "/api/records" -> records(query);
                case "/api/layer" -> layer(query.get("name"), query.get("worker"));
                default -> PageResponse.text(404, "Not found: " + path + "\n");
            };
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    Map<String, Object> run() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", replay == null ? "live" : "replay");
        if (replay != null) out.put("replay", replay);
        out.put("history", history.counters());
        ModelTable table = history.modelTable();
        out.put("models", table.models());
        out.put("optimizer", table.optimizer());
        out.put("layers", table.layers());
        out.put("pairs", table.pairs());
        out.put("unsupported", table.unsupported());
        out.put("hasEffectiveLearningRate", table.hasEffectiveLearningRate());
        double now = replay == null ? System.currentTimeMillis() / 1000.0 : lastTime();
        out.put("now", now);
        MeterReadings meters = registry == null ? null : MeterReadings.read(registry);
        if (registry != null) {
            out.put("jvm", JvmMemory.now());
            out.put("monitor", meters);
        }
        // each worker's conditions on its own records; a rule holds when it holds for one of them (and names it)
        Map<String, List<AlertConditions.Condition>> byWorker = new LinkedHashMap<>();
        for (String worker : history.workers()) {
            byWorker.put(worker, AlertConditions.evaluate(history.records("step", worker),
                    history.records("analysis", worker), now, meters, table));
        }
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (AlertConditions.Condition c : byWorker.isEmpty()
                ? AlertConditions.evaluate(List.of(), List.of(), now, meters, table) : AlertConditions.ofWorkers(byWorker)) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("rule", c.rule());
            a.put("state", c.state().name().toLowerCase().replace('_', '-'));
            a.put("where", c.where());
            alerts.add(a);
        }
        out.put("alerts", alerts);
        return out;
    }

    /**
     * Two ways: {@code ?after=REV&epoch=E&limit=N}, the points changed since revision REV in revision order (the
     * page's polls; everything again when E is not the history's epoch, with {@code reset: true}); or
     * {@code ?from=S&to=S&points=N[&type=T][&worker=W]}, the points overlapping steps [S, S] at most N per kind of
     * record and worker.
     */
    private PageResponse records(Map<String, String> query) throws JsonProcessingException {
        if (query.containsKey("from") || query.containsKey("to") || query.containsKey("points")) {
            long from = longParam(query, "from", 0);
            long to = longParam(query, "to", Long.MAX_VALUE);
            int points = (int) Math.max(3, Math.min(MAX_LIMIT, longParam(query, "points", DEFAULT_POINTS)));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("from", from);
            out.put("to", to);
            out.put("points", points);
            out.put("records", history.range(from, to, points, query.get("type"), query.get("worker")));
            return PageResponse.json(PageJson.MAPPER.writeValueAsBytes(out));
        }
        long after = longParam(query, "after", 0);
        int limit = (int) Math.max(1, Math.min(MAX_LIMIT, longParam(query, "limit", MAX_LIMIT)));
        long epoch = longParam(query, "epoch", -1);
        boolean reset = epoch >= 0 && epoch != history.epoch();
        RunHistory.Changes changes = history.changedSince(reset ? 0 : after, limit);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("epoch", changes.epoch());
        out.put("reset", reset);
        out.put("rev", changes.rev());
        out.put("lastSeq", changes.lastSeq());
        out.put("records", changes.records());
        return PageResponse.json(PageJson.MAPPER.writeValueAsBytes(out));
    }

    /**
     * {@code worker}'s layer detail; without {@code worker}, the first worker's (the only one, mostly); an empty
     * {@code worker}, that of the records that name none.
     */
    private PageResponse layer(String name, String worker) throws JsonProcessingException {
        if (name == null || name.isEmpty()) return PageResponse.text(400, "Missing ?name=<layer>\n");
        if (worker == null) {
            List<String> workers = history.workers();
            worker = workers.isEmpty() ? null : workers.get(0);
        } else if (worker.isEmpty()) {
            worker = null; // the records that name no worker
        }
        RunHistory.StoredDetail stored = history.detail(name, worker);
        JsonNode detail = stored == null ? null : stored.tree();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("layer", name);
        if (worker != null) out.put("worker", worker);
        Map<String, Object> latest = history.latest("analysis", "layers", name, worker);
        out.put("step", stored == null ? null : stored.step());
        out.put("correlation", detail == null ? null : NeuronHeatmap.of(detail.path("correlation"), MAX_HEATMAP));
        Map<String, Object> pah = new LinkedHashMap<>();
        for (String side : List.of("a", "b")) {
            JsonNode points = detail == null ? null : detail.path("pah").path(side);
            if (points == null || points.isMissingNode()) continue;
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("logLambdaG", points.path("log_lambda_g"));
            s.put("logLambdaH", points.path("log_lambda_h"));
            s.put("fitted", finiteOrNull(PageJson.number(latest, "pah.exponent." + side)));
            s.put("predicted", finiteOrNull(PageJson.number(latest, "pah.exponent.predicted." + side)));
            s.put("r2", finiteOrNull(PageJson.number(latest, "pah.fit.r2." + side)));
            pah.put(side, s);
        }
        out.put("pah", pah);
        // an attention projection's per-head fits (METRICS.md §12, the talk's Fig. 3): block, side, and per head its
        // exponent, R² and points; never a Prometheus series
        JsonNode heads = detail == null ? null : detail.path("pah").path("heads");
        out.put("heads", heads == null || heads.isMissingNode() ? null : heads);
        Map<String, Object> distributions = new LinkedHashMap<>();
        for (String quantity : HistogramHistory.QUANTITIES) {
            Map<String, Object> heatmap = HistogramHeatmap.of(history.histograms(name, quantity, worker), HISTOGRAM_ROWS);
            if (heatmap != null) distributions.put(quantity, heatmap);
        }
        out.put("histograms", distributions);
        out.put("chargePair", history.chargePairOf(name, worker));
        return PageResponse.json(PageJson.MAPPER.writeValueAsBytes(out));
    }

    private static Double finiteOrNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** The time of the newest record (a replay's "now"). */
    private double lastTime() {
        double t = Double.NaN;
        for (String type : List.of("step", "analysis")) {
            Map<String, Object> last = history.last(type);
            double v = last == null ? Double.NaN : PageJson.time(last);
            if (!Double.isNaN(v) && (Double.isNaN(t) || v > t)) t = v;
        }
        return t;
    }

    private synchronized byte[] asset(String name) {
        return assets.computeIfAbsent(name, n -> {
            String resource = n.startsWith("META-INF/") ? n : "dev/noether/exporter/page/" + n;
            try (InputStream in = TrainingPage.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) throw new IllegalStateException("resource " + resource + " is missing from the classpath");
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static long longParam(Map<String, String> query, String key, long fallback) {
        String v = query.get(key);
        if (v == null) return fallback;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return out;
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            String v = eq < 0 ? "" : part.substring(eq + 1);
            try {
                out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                // a malformed escape: ignore the parameter
            }
        }
        return out;
    }
}
