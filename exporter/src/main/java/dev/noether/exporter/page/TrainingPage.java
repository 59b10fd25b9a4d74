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
 * <tr><td>{@code /api/records?after=SEQ&limit=N}</td><td>kept records with a sequence number above SEQ (N ≤ 5000)</td></tr>
 * <tr><td>{@code /api/layer?name=L}</td><td>the latest per-neuron details of layer L: correlation heatmap in
 *     clustered order (at most 128×128 cells) and the λ_H/λ_G points with fitted and predicted slopes</td></tr>
 * </table>
 */
public final class TrainingPage {
    static final String ECHARTS = "META-INF/resources/webjars/echarts/5.3.1/dist/echarts.min.js";
    static final int MAX_LIMIT = 5000;
    static final int MAX_HEATMAP = 128;
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
                case "/api/layer" -> layer(query.get("name"));
                default -> PageResponse.text(404, "Not found: " + path + "\n");
            };
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    Map<String, Object> run() {
        List<RunHistory.StoredRecord> stored = history.all();
        List<Map<String, Object>> records = new ArrayList<>(stored.size());
        for (RunHistory.StoredRecord r : stored) records.add(r.record());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", replay == null ? "live" : "replay");
        if (replay != null) out.put("replay", replay);
        out.put("history", history.counters());
        ModelTable table = history.modelTable();
        out.put("models", table.models());
        out.put("layers", table.layers());
        out.put("pairs", table.pairs());
        out.put("hasEffectiveLearningRate", table.hasEffectiveLearningRate());
        double now = replay == null ? System.currentTimeMillis() / 1000.0 : lastTime(records);
        out.put("now", now);
        MeterReadings meters = registry == null ? null : MeterReadings.read(registry);
        if (registry != null) {
            out.put("jvm", JvmMemory.now());
            out.put("monitor", meters);
        }
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (AlertConditions.Condition c : AlertConditions.evaluate(records, now, meters, table)) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("rule", c.rule());
            a.put("state", c.state().name().toLowerCase().replace('_', '-'));
            a.put("where", c.where());
            alerts.add(a);
        }
        out.put("alerts", alerts);
        return out;
    }

    private PageResponse records(Map<String, String> query) throws JsonProcessingException {
        long after = longParam(query, "after", 0);
        int limit = (int) Math.max(1, Math.min(MAX_LIMIT, longParam(query, "limit", MAX_LIMIT)));
        List<RunHistory.StoredRecord> page = history.after(after, limit);
        Map<String, Object> counters = history.counters();
        // The stored records are already JSON: splice them instead of serialising every record again.
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] head = PageJson.MAPPER.writeValueAsBytes(Map.of("firstSeq", counters.get("firstSeq"),
                "lastSeq", counters.get("lastSeq")));
        body.write(head, 0, head.length - 1);
        body.writeBytes(",\"records\":[".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < page.size(); i++) {
            if (i > 0) body.write(',');
            body.writeBytes(page.get(i).json());
        }
        body.writeBytes("]}".getBytes(StandardCharsets.UTF_8));
        return PageResponse.json(body.toByteArray());
    }

    private PageResponse layer(String name) throws JsonProcessingException {
        if (name == null || name.isEmpty()) return PageResponse.text(400, "Missing ?name=<layer>\n");
        RunHistory.StoredDetail detail = history.detail(name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("layer", name);
        Map<String, Object> latest = latestAnalysis(name);
        out.put("step", detail == null ? null : detail.step());
        out.put("correlation", detail == null ? null : NeuronHeatmap.of(detail.detail().path("correlation"), MAX_HEATMAP));
        Map<String, Object> pah = new LinkedHashMap<>();
        for (String side : List.of("a", "b")) {
            JsonNode points = detail == null ? null : detail.detail().path("pah").path(side);
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
        return PageResponse.json(PageJson.MAPPER.writeValueAsBytes(out));
    }

    /** The layer's values in the latest analysis record that has them (the slopes of the scatter). */
    private Map<String, Object> latestAnalysis(String layer) {
        List<RunHistory.StoredRecord> all = history.all();
        for (int i = all.size() - 1; i >= 0; i--) {
            Map<String, Object> r = all.get(i).record();
            if (!"analysis".equals(r.get("type"))) continue;
            if (PageJson.section(r, "layers").get(layer) instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> values = (Map<String, Object>) m;
                return values;
            }
        }
        return Map.of();
    }

    private static Double finiteOrNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static double lastTime(List<Map<String, Object>> records) {
        for (int i = records.size() - 1; i >= 0; i--) {
            double t = PageJson.time(records.get(i));
            if (!Double.isNaN(t)) return t;
        }
        return Double.NaN;
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
