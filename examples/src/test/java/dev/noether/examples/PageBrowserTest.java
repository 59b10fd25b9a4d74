package dev.noether.examples;

import dev.noether.exporter.ReplayServer;
import dev.noether.exporter.page.RunHistory;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The training page in real headless Chromium (Debian's chromium through /usr/bin/chromedriver, both installed
 * by .ci/run) against a live DJL demo training in a child JVM, then against the replay of its event log.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PageBrowserTest {
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    /** None: the default demo has a batch norm, so even the effective learning rate has points. */
    /** The demo's MLP has no attention block: the per-head PAH panel (the talk's Fig. 3) stays empty. */
    private static final List<String> EMPTY_FOR_THIS_RUN = List.of("c-heads");
    /** Charts fed from the live registry and JVM, which an event log does not carry. */
    private static final List<String> LIVE_ONLY = List.of("c-jvm", "c-cost", "c-overhead");
    private static final Path OUT = Path.of("target", "page-test");
    /** The records the page's history kept before issue 25 (oldest evicted first): the run must pass them. */
    private static final long FORMER_HISTORY_BOUND = 20_000;
    /** Enough steps to pass that bound with records to spare, while the live checks run. */
    private static final int DEMO_STEPS = 60_000;
    /**
     * Step records the live page must have received (the event log gets the same) before the replay test stops the
     * demo: several times what a lane keeps at full resolution, so that the replayed history needs buckets.
     */
    private static final long REPLAYED_STEP_RECORDS = 3L * RunHistory.DEFAULT_MAX_RECORDS;
    /**
     * A liveness bound on what the training must reach (records, a first analysis): a starved CPU (2 shared cores,
     * several builds) slows the demo down many times. It only bounds a wait on a condition; a fast machine passes at once.
     */
    private static final Duration TRAINING_DEADLINE = Duration.ofMinutes(10);
    /** A liveness bound on what the page must draw once its data is there, generous for a loaded machine. */
    private static final Duration PAGE_DEADLINE = Duration.ofMinutes(2);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Process demo;
    private static URI pageUrl;
    private static ChromeDriverService service;
    private static ChromeDriver browser;
    private static Map<String, Long> livePoints;

    @BeforeAll
    static void startTrainingAndBrowser() throws Exception {
        assertThat(CHROMEDRIVER).as("chromedriver (Debian package chromium-driver, installed by .ci/run)").isExecutable();
        assertThat(CHROMIUM).as("chromium (Debian package chromium, installed by .ci/run)").isExecutable();
        Files.createDirectories(OUT);
        for (int i = rotatedFiles("run"); i >= 0; i--) Files.deleteIfExists(logFile("run", i)); // a former run's, rotated too
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // Long enough to outlast the live checks; --hold keeps the page up after training, the test stops it.
        // Every step observed: one record per step, so that the run passes the 20,000 records that the page's
        // history kept before it covered the whole run (issue 25) within a minute or two.
        demo = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true",
                "dev.noether.examples.NoetherDemo", "djl-mlp", "--steps", String.valueOf(DEMO_STEPS), "--samples", "1024",
                "--every", "25", "--noether", "observeEvery=1", "--port", "0", "--progress-every", "1000000",
                "--events", OUT.resolve("run.jsonl").toString(), "--hold")
                .redirectErrorStream(true).start();
        pageUrl = URI.create(readPageUrl(demo));

        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,3400");
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        browser = new ChromeDriver(service, options);
        browser.manage().window().setSize(new Dimension(1280, 3400));
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) browser.quit();
        if (service != null) service.stop();
        stopDemo();
    }

    @Test
    @Order(1)
    void liveTrainingFillsEveryChartAndUpdatesWithoutReloading() throws Exception {
        browser.get(pageUrl.toString());
        Map<String, Long> points = waitForCharts(TRAINING_DEADLINE, List.of());
        assertThat(points).as("charts without data points").allSatisfy((id, n) -> {
            if (EMPTY_FOR_THIS_RUN.contains(id)) assertThat(n).as(id).isZero();
            else assertThat(n).as(id).isPositive();
        });
        String body = browser.findElement(By.tagName("body")).getText();
        assertThat(body).contains("01Linear", "03Linear", "05Linear", "01Linear:03Linear", "djl-mlp", "live");
        assertThat(browser.findElement(By.id("modelTable")).getText()).contains("64 × 32", "rescaling");

        // Live updates: the same document (a marker survives) shows later steps.
        js("window.__sameDocument = 42;");
        long seq = ((Number) js("return window.noetherPage.lastSeq;")).longValue();
        long step = Long.parseLong(browser.findElement(By.id("step")).getText());
        new WebDriverWait(browser, PAGE_DEADLINE).until(d ->
                ((Number) js("return window.noetherPage.lastSeq;")).longValue() > seq
                        && Long.parseLong(browser.findElement(By.id("step")).getText()) > step);
        assertThat(js("return window.__sameDocument;")).isEqualTo(42L);
        assertThat(demo.isAlive()).as("the training was still running").isTrue();

        assertThat(((Number) js("return document.documentElement.scrollWidth;")).intValue())
                .as("no horizontal scrolling at 1280 px").isLessThanOrEqualTo(1280);
        assertThat(browser.findElement(By.id("modelTable")).getText()).contains("dense", "relu", "batch_norm", "Optimizer: sgd(η=0.05");
        assertHistogramsForEveryLayer();
        assertNothingFromAnotherOrigin();
        assertNoConsoleErrors();
        livePoints = chartPoints();
        screenshot("page-live.png");
    }

    /**
     * Past the 20,000 records the page's history used to keep (so that the oldest were evicted and every chart
     * started at step ~15,000 after 35 s of the default demo), the whole run is still on the page: the first
     * chart's x-axis starts at step 0, every chart within its bound of points per series.
     */
    @Test
    @Order(2)
    void afterTheFormerHistoryBoundTheFirstChartStillStartsAtStepZero() throws Exception {
        try {
            new WebDriverWait(browser, TRAINING_DEADLINE).until(d -> ((Number) js(
                    "return window.noetherPage.run ? window.noetherPage.run.history.accepted : 0;")).longValue() > FORMER_HISTORY_BOUND + 2_000);
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("the demo did not pass " + FORMER_HISTORY_BOUND + " records: "
                    + js("return JSON.stringify(window.noetherPage.run.history);"), e);
        }
        new WebDriverWait(browser, PAGE_DEADLINE).until(d -> ((Number) js(
                "return window.noetherPage.renders;")).longValue() > 0 && lossAxisStart() != null);
        long drawnAt = ((Number) js("return window.noetherPage.renders;")).longValue();
        new WebDriverWait(browser, PAGE_DEADLINE).until(d -> ((Number) js("return window.noetherPage.renders;")).longValue() > drawnAt);
        assertThat(lossAxisStart()).as("the loss chart's x-axis starts at").isEqualTo(0.0);
        assertThat(((Number) js("return window.noetherPage.points('step')[0].step;")).longValue()).isZero();
        assertThat(browser.findElement(By.id("historyInfo")).getText()).contains("from step 0", "at full resolution", "buckets");
        long bound = ((Number) js("return window.noetherPage.run.history.maxPointsPerSeries;")).longValue();
        assertThat(chartLongestSeries()).as("points per series of each chart").allSatisfy((id, n) ->
                assertThat(n).as(id).isLessThanOrEqualTo(bound));
        assertThat(chartLongestSeries().get("c-loss")).as("the loss chart draws buckets and full records").isGreaterThan(bound / 2);
        assertNoConsoleErrors();
        screenshot("page-live-long.png");
    }

    /** Each layer of the detail picker: its distributions over time are drawn (charges for a pair's first layer). */
    @SuppressWarnings("unchecked")
    private static void assertHistogramsForEveryLayer() {
        List<String> layers = (List<String>) js("return Array.from(document.getElementById('detailLayer').options).map(o => o.value);");
        List<String> firsts = (List<String>) js("return window.noetherPage.run.pairs.map(p => p.name.split(':')[0]);");
        assertThat(layers).hasSize(4);
        for (String layer : layers) {
            js("const s = document.getElementById('detailLayer'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));", layer);
            try {
                new WebDriverWait(browser, PAGE_DEADLINE).until(d -> layer.equals(js("return window.noetherPage.detailFor;"))
                        && js("return window.noetherPage.detailDrawn === window.noetherPage.detailFetches;").equals(Boolean.TRUE)
                        && chartPoints().get("c-hist-weights") > 0 && chartPoints().get("c-hist-updates") > 0);
            } catch (org.openqa.selenium.TimeoutException e) {
                throw new AssertionError("no distributions for " + layer + ": " + chartPoints(), e);
            }
            Map<String, Long> points = chartPoints();
            for (String chart : List.of("c-hist-weights", "c-hist-gradients", "c-hist-updates", "c-hist-norms")) {
                assertThat(points.get(chart)).as(chart + " of " + layer).isPositive();
            }
            assertThat(points.get("c-hist-charges") > 0).as("charges of " + layer).isEqualTo(firsts.contains(layer));
            assertThat(browser.findElement(By.id("c-hist-weights")).getText()).doesNotContain("no histogram");
        }
        js("const s = document.getElementById('detailLayer'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));", layers.get(0));
    }

    private static Double lossAxisStart() {
        Object v = js("const c = echarts.getInstanceByDom(document.getElementById('c-loss'));"
                + " return c ? c.getModel().getComponent('xAxis', 0).axis.scale.getExtent()[0] : null;");
        return v == null ? null : ((Number) v).doubleValue();
    }

    /** data-longest-series of every chart: the most points one of its series draws. */
    @SuppressWarnings("unchecked")
    private static Map<String, Long> chartLongestSeries() {
        Map<String, Object> raw = (Map<String, Object>) js("const o = {}; document.querySelectorAll('.chart')"
                + ".forEach(c => { o[c.id] = Number(c.dataset.longestSeries || 0); }); return o;");
        Map<String, Long> out = new TreeMap<>();
        raw.forEach((k, v) -> out.put(k, ((Number) v).longValue()));
        return out;
    }

    @Test
    @Order(3)
    void replayOfTheRecordedEventLogShowsTheSameCharts() throws Exception {
        assertThat(livePoints).as("the live test ran first").isNotNull();
        // Leave the live page first: once the demo stops, its polls would (rightly) log refused connections.
        leaveThePage();
        // A record count, not a time: a loaded machine may train many times slower than an idle one.
        awaitLiveStepRecords(REPLAYED_STEP_RECORDS);
        assertThat(stopDemo()).as("the demo ended on SIGTERM: its shutdown hook closed the exporter, the event log is complete")
                .isTrue();
        // the whole log: a long demo's passes 64 MiB, so its older records are in rotated files (run.1.jsonl, ...)
        for (int i = rotatedFiles("replay"); i >= 1; i--) Files.deleteIfExists(logFile("replay", i));
        for (int i = rotatedFiles("run"); i >= 0; i--) {
            Files.copy(logFile("run", i), logFile("replay", i), StandardCopyOption.REPLACE_EXISTING);
        }
        Path log = OUT.resolve("replay.jsonl");
        // A corrupt line in the middle and a line cut short at the end are skipped and counted.
        List<String> lines = new ArrayList<>(Files.readAllLines(log));
        lines.add(lines.size() / 2, "{\"type\":\"step\",\"step\":");
        Files.write(log, lines);
        Files.writeString(log, "{\"type\":\"analysis\",\"model\":\"djl-", StandardOpenOption.APPEND);

        try (ReplayServer replay = ReplayServer.start(log, "127.0.0.1", 0, RunHistory.DEFAULT_MAX_RECORDS,
                RunHistory.DEFAULT_MAX_BYTES); AutoCloseable page = show(replay)) {
            assertThat(replay.source().skippedLines()).isEqualTo(2);
            Map<String, Long> points = waitForCharts(PAGE_DEADLINE, LIVE_ONLY);
            for (Map.Entry<String, Long> e : livePoints.entrySet()) {
                if (LIVE_ONLY.contains(e.getKey())) {
                    assertThat(points.get(e.getKey())).as(e.getKey()).isZero();
                } else {
                    assertThat(points.get(e.getKey()) > 0).as(e.getKey()).isEqualTo(e.getValue() > 0);
                }
            }
            assertThat(browser.findElement(By.id("c-jvm")).getText()).contains("replay");
            assertDrawnValuesMatchTheLog(recordedLines());
            assertThat(browser.findElement(By.id("skippedInfo")).getText()).contains("2 bad event-log lines skipped");
            assertThat(browser.findElement(By.id("mode")).getText()).isEqualTo("replay");
            assertThat(browser.findElement(By.tagName("body")).getText()).contains("01Linear", "03Linear");
            assertNothingFromAnotherOrigin();
            assertNoConsoleErrors();
            screenshot("page-replay.png");
        }
    }

    @Test
    @Order(4)
    void aModelOf250LayersShowsASelectionAndAPagedTable() throws Exception {
        leaveThePreviousPage();
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        int layers = 250;
        for (int step = 0; step <= 500; step += 25) {
            Map<String, Object> byLayer = new LinkedHashMap<>();
            Map<String, Object> analysis = new LinkedHashMap<>();
            for (int l = 0; l < layers; l++) {
                byLayer.put("dense" + l, Map.of("layer.neurons", 16.0, "layer.inputs", 16.0, "layer.weight.norm", 1.0 + l * 1e-3,
                        "layer.update.ratio", 1e-3 / (1 + step)));
                analysis.put("dense" + l, Map.of("neurons.distinct", 16.0, "neurons.dead", 0.0, "crh.phase", "none",
                        "layer.effective.rank", 10.0));
            }
            lines.add(json.writeValueAsString(Map.of("type", "step", "model", "huge", "step", step, "time", 1000.0 + step,
                    "metrics", Map.of("loss", 1.0 / (1 + step)), "layers", byLayer, "pairs", Map.of())));
            lines.add(json.writeValueAsString(Map.of("type", "analysis", "model", "huge", "step", step, "time", 1000.0 + step,
                    "metrics", Map.of(), "layers", analysis, "pairs", Map.of())));
        }
        Path log = OUT.resolve("huge.jsonl");
        Files.write(log, lines);
        try (ReplayServer replay = ReplayServer.start(log, "127.0.0.1", 0, RunHistory.DEFAULT_MAX_RECORDS,
                RunHistory.DEFAULT_MAX_BYTES); AutoCloseable page = show(replay)) {
            new WebDriverWait(browser, PAGE_DEADLINE).until(d -> chartPoints().getOrDefault("c-ratio", 0L) > 0);
            assertThat(browser.findElement(By.id("layerNote")).getText()).contains("12 of 250 layers");
            assertThat(chartPoints().get("c-ratio")).isEqualTo(12L * lines.size() / 2);
            assertThat(browser.findElement(By.id("modelTable")).getText()).contains("layers 1–25 of 250", "dense24")
                    .doesNotContain("dense25 ");
            browser.findElement(By.xpath("//button[contains(., 'next')]")).click();
            assertThat(browser.findElement(By.id("modelTable")).getText()).contains("layers 26–50 of 250", "dense25");
            assertNoConsoleErrors();
        }
    }

    @Test
    @Order(5)
    void aRunWithNoLayerMappedShowsItsEmptyStates() throws Exception {
        leaveThePreviousPage();
        Path log = OUT.resolve("no-layers.jsonl");
        Files.writeString(log, "{\"type\":\"step\",\"model\":\"m\",\"step\":0,\"time\":1.0,\"metrics\":{\"loss\":2.0},\"layers\":{},\"pairs\":{}}\n"
                + "{\"type\":\"step\",\"model\":\"m\",\"step\":25,\"time\":2.0,\"metrics\":{\"loss\":1.0},\"layers\":{},\"pairs\":{}}\n");
        try (ReplayServer replay = ReplayServer.start(log, "127.0.0.1", 0, 100, 1 << 20); AutoCloseable page = show(replay)) {
            new WebDriverWait(browser, PAGE_DEADLINE).until(d -> chartPoints().getOrDefault("c-loss", 0L) == 2L);
            assertThat(browser.findElement(By.id("modelTable")).getText()).contains("No layer mapped yet");
            assertThat(browser.findElement(By.id("c-drift")).getText()).contains("no symmetry pair");
            assertThat(browser.findElement(By.id("c-heatmap")).getText()).contains("this layer has no probe yet");
            assertNoConsoleErrors();
        }
    }

    /**
     * Two workers of one run, replayed together: one line per worker, and each worker's line draws only its own values.
     * The second worker's log is the recorded run with its loss raised by 100 and its weight norms by 1000, so that a
     * bucket averaging both workers (the history's buckets span several steps here) would land far outside either
     * worker's range: every drawn point of a worker's loss and weight-norm lines lies within that worker's own values.
     */
    @SuppressWarnings("unchecked")
    @Test
    @Order(6)
    void aRunOfTwoWorkersReplayedTogetherDrawsOneLinePerWorker() throws Exception {
        leaveThePreviousPage();
        assertThat(OUT.resolve("run.jsonl")).as("the live test recorded a run").exists();
        // two workers of one run, as their exporters name their logs in a shared folder: the recorded run twice (its
        // first records: enough for each worker's line to have buckets, and quick to replay on a loaded machine)
        Path folder = Files.createDirectories(OUT.resolve("many-workers"));
        List<String> recorded = recordedLines();
        recorded = recorded.subList(0, Math.min(recorded.size(), 3 * RunHistory.DEFAULT_MAX_RECORDS));
        ObjectMapper json = new ObjectMapper();
        Map<String, double[]> loss = new LinkedHashMap<>(); // worker → {min, max} of its logged losses
        Map<String, double[]> norm = new LinkedHashMap<>(); // worker → {min, max} of 01Linear's weight norms
        for (String worker : List.of("w1", "w2")) {
            double shift = worker.equals("w1") ? 0 : 1;
            double[] l = {Double.MAX_VALUE, -Double.MAX_VALUE}, n = {Double.MAX_VALUE, -Double.MAX_VALUE};
            List<String> out = new ArrayList<>();
            for (String line : recorded) {
                var record = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(line);
                record.put("worker", worker);
                if (record.path("type").asText().equals("step")) {
                    var metrics = record.path("metrics");
                    if (metrics.path("loss").isNumber()) {
                        double v = metrics.path("loss").asDouble() + 100 * shift;
                        ((com.fasterxml.jackson.databind.node.ObjectNode) metrics).put("loss", v);
                        l[0] = Math.min(l[0], v);
                        l[1] = Math.max(l[1], v);
                    }
                    var fc = record.path("layers").path("01Linear");
                    if (fc.path("layer.weight.norm").isNumber()) {
                        double v = fc.path("layer.weight.norm").asDouble() + 1000 * shift;
                        ((com.fasterxml.jackson.databind.node.ObjectNode) fc).put("layer.weight.norm", v);
                        n[0] = Math.min(n[0], v);
                        n[1] = Math.max(n[1], v);
                    }
                }
                out.add(json.writeValueAsString(record));
            }
            loss.put(worker, l);
            norm.put(worker, n);
            Files.write(folder.resolve("r1." + worker + ".jsonl"), out);
        }
        try (ReplayServer replay = ReplayServer.start(List.of(folder), "127.0.0.1", 0, RunHistory.DEFAULT_MAX_RECORDS,
                RunHistory.DEFAULT_MAX_BYTES); AutoCloseable page = show(replay)) {
            waitForCharts(PAGE_DEADLINE, LIVE_ONLY);
            assertThat(js("return echarts.getInstanceByDom(document.getElementById('c-loss')).getOption()"
                    + ".series.map(s => s.name);")).as("the loss chart").isEqualTo(List.of("loss · w1", "loss · w2"));
            assertThat((List<?>) js("return echarts.getInstanceByDom(document.getElementById('c-wnorm')).getOption()"
                    + ".series.map(s => s.name);")).as("a layer chart: each layer once per worker")
                    .anySatisfy(n -> assertThat((String) n).endsWith(" · w1"))
                    .anySatisfy(n -> assertThat((String) n).endsWith(" · w2"));
            assertThat(((Number) js("return window.noetherPage.points('step', 'w1').filter(p => p.count > 1).length;")).intValue())
                    .as("w1's line has buckets of older steps").isPositive();
            for (String worker : loss.keySet()) {
                assertDrawnWithin("c-loss", "loss · " + worker, loss.get(worker));
                assertDrawnWithin("c-wnorm", "01Linear · " + worker, norm.get(worker));
            }
            // the layer details are one worker's: the picker offers both, the charts name the one shown
            assertThat(browser.findElement(By.id("detailWorkerPick")).isDisplayed()).isTrue();
            assertThat((List<String>) js("return Array.from(document.getElementById('detailWorker').options).map(o => o.value);"))
                    .containsExactly("w1", "w2");
            js("const s = document.getElementById('detailWorker'); s.value = 'w2'; s.dispatchEvent(new Event('change'));");
            new WebDriverWait(browser, PAGE_DEADLINE).until(d -> "w2".equals(js("return window.noetherPage.detail.worker;"))
                    && js("return window.noetherPage.detailDrawn === window.noetherPage.detailFetches;").equals(Boolean.TRUE));
            assertThat(browser.findElement(By.cssSelector(".detailName")).getText()).endsWith(" · w2");
            assertThat(chartPoints().get("c-hist-weights")).as("w2's distributions").isPositive();
            assertNoConsoleErrors();
            screenshot("page-many-workers.png");
        }
    }

    /**
     * Opens the replay's page; closing what it returns leaves the page. Declared after the server in one
     * try-with-resources, it is closed first: the page is left while its server still answers, so that no poll of the
     * page reaches a closed server (Chromium logs each refused connection as a console error, which the next test,
     * still preparing its log, would find).
     */
    /**
     * An attention projection's per-head PAH (the talk's Fig. 3): picked as the layer detail, the panel draws each
     * head's points in its own colour with its fitted line, and names each head's exponent in the legend.
     */
    @Test
    @Order(7)
    void anAttentionProjectionDrawsItsPerHeadExponents() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String layer = "01TransformerEncoderBlock_01selfAttention_02queryProjection";
        Map<String, Object> step = Map.of("type", "step", "model", "encoder", "step", 10, "time", 1000.0,
                "metrics", Map.of("loss", 0.5), "layers", Map.of(layer, Map.of("layer.neurons", 4.0, "layer.inputs", 4.0,
                        "layer.weight.norm", 1.0)), "pairs", Map.of());
        List<Map<String, Object>> heads = List.of(
                Map.of("head", 0, "exponent", 3.0, "r2", 0.99, "log_lambda_g", List.of(-2.0, -1.0, 0.0),
                        "log_lambda_h", List.of(-6.0, -3.0, 0.0)),
                Map.of("head", 1, "exponent", 1.0, "r2", 0.98, "log_lambda_g", List.of(-1.0, 0.0, 1.0),
                        "log_lambda_h", List.of(-1.0, 0.0, 1.0)));
        Map<String, Object> analysis = new LinkedHashMap<>(step);
        analysis.put("type", "analysis");
        analysis.put("layers", Map.of(layer, Map.of("pah.exponent.b", 2.0)));
        analysis.put("details", Map.of("layers", Map.of(layer, Map.of("pah", Map.of(
                "heads", Map.of("block", "01TransformerEncoderBlock_01selfAttention", "side", "b", "heads", heads))))));
        Path log = OUT.resolve("heads.jsonl");
        Files.write(log, List.of(json.writeValueAsString(step), json.writeValueAsString(analysis)));
        try (ReplayServer replay = ReplayServer.start(log, "127.0.0.1", 0, 100, 1 << 20); AutoCloseable page = show(replay)) {
            new WebDriverWait(browser, PAGE_DEADLINE).until(d -> chartPoints().getOrDefault("c-heads", 0L) == 6L);
            List<String> names = (List<String>) js("return echarts.getInstanceByDom(document.getElementById('c-heads'))"
                    + ".getOption().series.map(s => s.name);");
            assertThat(names).contains("head 0: κ = 3", "head 1: κ = 1");
            assertNoConsoleErrors();
        }
    }

    private static AutoCloseable show(ReplayServer replay) {
        browser.get(replay.url().toString());
        return PageBrowserTest::leaveThePage;
    }

    /** Leaves the current page for an empty one, which polls no server. */
    private static void leaveThePage() {
        browser.get("about:blank");
    }

    /** Waits until the live page's history has accepted more than {@code records} step records of the demo. */
    private static void awaitLiveStepRecords(long records) throws Exception {
        long deadline = System.nanoTime() + TRAINING_DEADLINE.toNanos();
        long seen;
        while ((seen = liveStepRecords()) <= records) {
            assertThat(demo.isAlive()).as("the demo still runs, at " + seen + " step records").isTrue();
            assertThat(System.nanoTime() - deadline).as("step records within " + TRAINING_DEADLINE + ": " + seen + " of " + records)
                    .isNegative();
            Thread.sleep(500);
        }
    }

    /** The step records the live page's history has accepted, from the demo's {@code /api/run}. */
    private static long liveStepRecords() throws Exception {
        HttpResponse<String> run = HTTP.send(HttpRequest.newBuilder(pageUrl.resolve("api/run")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(run.statusCode()).as("GET api/run").isEqualTo(200);
        return new ObjectMapper().readTree(run.body()).path("history").path("lanes").path("step").path("records").asLong();
    }

    /** Every point the chart draws on the named line lies within [range[0], range[1]]. */
    @SuppressWarnings("unchecked")
    private static void assertDrawnWithin(String chart, String line, double[] range) {
        List<List<Number>> drawn = (List<List<Number>>) js("const s = echarts.getInstanceByDom(document.getElementById('"
                + chart + "')).getOption().series.find(s => s.name === arguments[0]); return s ? s.data : null;", line);
        assertThat(drawn).as(chart + " " + line).isNotNull().isNotEmpty();
        double slack = 1e-9 * Math.max(1, Math.abs(range[1]));
        for (List<Number> p : drawn) {
            assertThat(p.get(1).doubleValue()).as(chart + " " + line + " at step " + p.get(0)).isBetween(range[0] - slack, range[1] + slack);
        }
    }

    /** The demo's event log, every line: its rotated files oldest first (run.N.jsonl … run.1.jsonl), then run.jsonl. */
    private static List<String> recordedLines() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = rotatedFiles("run"); i >= 0; i--) lines.addAll(Files.readAllLines(logFile("run", i)));
        return lines;
    }

    /** The number of rotated files of OUT/{name}.jsonl ({name}.1.jsonl, ...). */
    private static int rotatedFiles(String name) {
        int n = 0;
        while (Files.exists(logFile(name, n + 1))) n++;
        return Files.exists(logFile(name, 0)) || n > 0 ? n : -1;
    }

    /** OUT/{name}.jsonl (0) or its rotated file OUT/{name}.{i}.jsonl. */
    private static Path logFile(String name, int i) {
        return OUT.resolve(i == 0 ? name + ".jsonl" : name + "." + i + ".jsonl");
    }

    /**
     * What the charts draw, recomputed here from the event log: DL4J's signature chart is log10(‖ΔW‖/‖W‖) per point
     * of the page's history, and steps/s is Δstep/Δtime between consecutive points. A point is a step record, or a
     * bucket of consecutive step records whose value is the mean over them: each is checked against the log's own
     * records of its step range, and together they hold every step record of the log.
     */
    private static void assertDrawnValuesMatchTheLog(List<String> log) throws IOException {
        ObjectMapper json = new ObjectMapper();
        TreeMap<Long, double[]> byStep = new TreeMap<>(); // step → {ratio (NaN if absent), time}
        for (String line : log) {
            Map<String, Object> r = json.readValue(line, Map.class);
            if (!"step".equals(r.get("type"))) continue;
            Object v = ((Map<String, Map<String, Object>>) r.get("layers")).get("01Linear").get("layer.update.ratio");
            byStep.put(((Number) r.get("step")).longValue(), new double[] {v instanceof Number n ? n.doubleValue() : Double.NaN,
                    ((Number) r.get("time")).doubleValue()});
        }
        List<Map<String, Object>> points = (List<Map<String, Object>>) js("return window.noetherPage.points('step').map(p => ({"
                + "step: p.step, time: p.time, count: p.count || 1, first: p.stepFirst ?? p.step, last: p.stepLast ?? p.step,"
                + "ratio: p.layers && p.layers['01Linear'] ? p.layers['01Linear']['layer.update.ratio'] ?? null : null}));");
        assertThat(points.size()).as("the replay is long enough to need buckets").isLessThan(byStep.size());
        double t0 = byStep.firstEntry().getValue()[1]; // sums of epoch seconds (~1.7e9) would lose sub-second spreads
        List<double[]> ratio = new ArrayList<>();
        List<double[]> speed = new ArrayList<>();
        double[] prev = null;
        long records = 0;
        for (Map<String, Object> p : points) {
            long first = ((Number) p.get("first")).longValue(), last = ((Number) p.get("last")).longValue();
            double ratioSum = 0, stepSum = 0, timeSum = 0;
            int ratios = 0, n = 0;
            for (Map.Entry<Long, double[]> e : byStep.subMap(first, true, last, true).entrySet()) {
                n++;
                stepSum += e.getKey();
                timeSum += e.getValue()[1] - t0;
                if (!Double.isNaN(e.getValue()[0])) {
                    ratios++;
                    ratioSum += e.getValue()[0];
                }
            }
            assertThat(((Number) p.get("count")).intValue()).as("records in the point of steps " + first + "–" + last).isEqualTo(n);
            records += n;
            double step = stepSum / n, time = t0 + timeSum / n;
            assertThat(((Number) p.get("step")).doubleValue()).isCloseTo(step, within(1e-6));
            if (ratios > 0) {
                double mean = ratioSum / ratios;
                assertThat(((Number) p.get("ratio")).doubleValue()).as("mean ratio of steps " + first + "–" + last)
                        .isCloseTo(mean, within(1e-9 * mean));
                if (mean > 0) ratio.add(new double[] {step, Math.log10(mean)});
            }
            if (prev != null && time > prev[1] && step > prev[0]) speed.add(new double[] {step, (step - prev[0]) / (time - prev[1])});
            prev = new double[] {step, time};
        }
        assertThat(records).as("every step record of the log is in one point").isEqualTo(byStep.size());
        assertSeries("c-ratio", "01Linear", ratio, 1e-9);
        // a point's time is epoch seconds (~1.7e9, an ulp of 2.4e-7 s) and a bucket may span a fraction of a second
        assertSeries("c-speed", "steps/s", speed, 1e-5);
    }

    @SuppressWarnings("unchecked")
    private static void assertSeries(String chart, String name, List<double[]> expected, double relative) {
        List<List<Number>> drawn = (List<List<Number>>) js("return echarts.getInstanceByDom(document.getElementById('"
                + chart + "')).getOption().series.find(s => s.name === '" + name + "').data;");
        assertThat(drawn).as(chart + " " + name).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(drawn.get(i).get(0).doubleValue()).isCloseTo(expected.get(i)[0], within(1e-6));
            assertThat(drawn.get(i).get(1).doubleValue()).as(chart + " point " + i).isCloseTo(expected.get(i)[1],
                    within(relative * Math.max(1, Math.abs(expected.get(i)[1]))));
        }
    }

    private static Map<String, Long> waitForCharts(Duration timeout, List<String> allowedEmpty) {
        List<String> expectedEmpty = new ArrayList<>(EMPTY_FOR_THIS_RUN);
        expectedEmpty.addAll(allowedEmpty);
        try {
            new WebDriverWait(browser, timeout).until(d -> {
                Map<String, Long> p = chartPoints();
                return !p.isEmpty() && p.entrySet().stream().allMatch(e -> expectedEmpty.contains(e.getKey()) || e.getValue() > 0);
            });
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("charts still empty after " + timeout + ": " + chartPoints(), e);
        }
        return chartPoints();
    }

    /** data-points of every chart, as the page sets them after drawing. */
    @SuppressWarnings("unchecked")
    private static Map<String, Long> chartPoints() {
        Map<String, Object> raw = (Map<String, Object>) js("const o = {}; document.querySelectorAll('.chart')"
                + ".forEach(c => { o[c.id] = Number(c.dataset.points || 0); }); return o;");
        Map<String, Long> out = new TreeMap<>();
        raw.forEach((k, v) -> out.put(k, ((Number) v).longValue()));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void assertNothingFromAnotherOrigin() {
        String origin = (String) js("return location.origin;");
        List<String> resources = (List<String>) js("return performance.getEntriesByType('resource').map(e => e.name)"
                + ".concat(Array.from(document.querySelectorAll('[src],[href]')).map(e => e.src || e.href));");
        assertThat(resources).isNotEmpty().allSatisfy(url ->
                assertThat(url.startsWith(origin + "/") || url.startsWith("data:")).as(url).isTrue());
    }

    /**
     * The previous test's page kept polling after its replay server closed, and its refused connections (rightly
     * logged) are not this test's: leave it and drop them.
     */
    private static void leaveThePreviousPage() {
        browser.get("about:blank");
        browser.manage().logs().get(LogType.BROWSER);
    }

    private static void assertNoConsoleErrors() {
        List<String> errors = new ArrayList<>();
        for (LogEntry entry : browser.manage().logs().get(LogType.BROWSER)) {
            if (entry.getLevel().intValue() >= Level.WARNING.intValue()) errors.add(entry.getLevel() + " " + entry.getMessage());
        }
        assertThat(errors).as("console errors and warnings").isEmpty();
    }

    private static void screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), OUT.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    /** Reads the demo's output until it prints the page URL; keeps draining it afterwards. */
    private static String readPageUrl(Process process) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("Noether page at ")) url.complete(line.substring("Noether page at ".length()).trim());
                }
            } catch (IOException e) {
                // the process ended
            }
            url.completeExceptionally(new AssertionError("the demo ended without printing its page URL"));
        }, "demo-output");
        reader.setDaemon(true);
        reader.start();
        return url.get(120, TimeUnit.SECONDS);
    }

    /** Stops the demo; false if it had to be killed, which may cut its event log short. */
    private static boolean stopDemo() throws InterruptedException {
        if (demo == null || !demo.isAlive()) return true;
        demo.destroy(); // SIGTERM: the demo's shutdown hook closes the exporter and flushes the event log
        // a loaded machine may take a while to run the hook
        if (demo.waitFor(2, TimeUnit.MINUTES)) return true;
        demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return false;
    }
}
