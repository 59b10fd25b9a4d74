package dev.noether.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherReport;
import dev.noether.djl.NoetherTrainingListener;
import dev.noether.exporter.NoetherExporter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The page's JSON endpoints against the reports they come from: a real DJL (PyTorch CPU) training feeds
 * {@code exporter.reportListener()} and, beside it, a list; every served value must equal what the report
 * itself answers through {@link NoetherReport#value}.
 */
class PageEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<String> LAYERS = List.of("01Linear", "03Linear", "05Linear");
    private static final String[] RELATIONS = {"rga", "rwa", "gwa"};

    private static NoetherExporter exporter;
    private static final List<NoetherReport> reports = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void train() throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        exporter = NoetherExporter.builder().port(0).start();
        TeacherStudentData data = TeacherStudentData.generate(256, 7);
        try (Model model = Model.newInstance("page-endpoints")) {
            Engine.getInstance().setRandomSeed(7);
            SequentialBlock net = new SequentialBlock()
                    .add(Linear.builder().setUnits(32).build()).add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(32).build()).add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(TeacherStudentData.OUTPUTS).build());
            model.setBlock(net);
            NoetherTrainingListener noether = NoetherTrainingListener.builder().registry(exporter.registry())
                    // a fixed stride: under the overhead budget's own choice a loaded machine observed 9 steps of 400
                    .config(NoetherConfig.builder().observeEvery(10).analysisEvery(50).minAnalysisInterval(Duration.ZERO).build())
                    .addListener(exporter.reportListener())
                    .addListener(reports::add)
                    .build();
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
                    .addTrainingListeners(noether);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(32, TeacherStudentData.INPUTS));
                NDManager m = trainer.getManager();
                NDArray x = m.create(data.x, new Shape(data.samples, TeacherStudentData.INPUTS));
                NDArray y = m.create(data.y, new Shape(data.samples, TeacherStudentData.OUTPUTS));
                ArrayDataset dataset = new ArrayDataset.Builder().setData(x).optLabels(y).setSampling(32, true, true).build();
                int step = 0;
                while (step < 400) {
                    for (Batch batch : trainer.iterateDataset(dataset)) {
                        try (batch) {
                            EasyTrain.trainBatch(trainer, batch);
                            trainer.step();
                        }
                        if (++step >= 400) break;
                    }
                }
            }
        }
        // The history stores on its own thread: wait until it holds every report.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (run().path("history").path("accepted").asLong() < reports.size() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @AfterAll
    static void close() {
        if (exporter != null) exporter.close();
    }

    @Test
    void recordsCarryTheReportsValues() throws Exception {
        JsonNode served = get("/api/records?after=0").path("records");
        assertThat(served.size()).isEqualTo(reports.size());
        Map<String, JsonNode> byKey = new HashMap<>();
        for (JsonNode r : served) byKey.put(r.path("type").asText() + "@" + r.path("step").asLong(), r);
        int steps = 0, analyses = 0;
        for (NoetherReport report : List.copyOf(reports)) {
            boolean step = report.kind() == NoetherReport.Kind.STEP;
            JsonNode r = byKey.get((step ? "step" : "analysis") + "@" + report.step());
            assertThat(r).as(report.kind() + " at " + report.step()).isNotNull();
            assertThat(r.path("model").asText()).isEqualTo(report.model());
            if (step) {
                steps++;
                same(r.path("metrics").path("loss"), report.value("loss"));
                same(r.path("metrics").path("learning.rate"), report.value("learning.rate"));
                for (String layer : LAYERS) {
                    same(r.path("layers").path(layer).path("layer.weight.norm"), report.value("layer.weight.norm", "layer", layer));
                    same(r.path("layers").path(layer).path("layer.update.ratio"), report.value("layer.update.ratio", "layer", layer));
                }
                for (String pair : List.of("01Linear:03Linear", "03Linear:05Linear")) {
                    JsonNode p = r.path("pairs").path(pair);
                    for (String metric : List.of("charge.drift", "charge.drift.rate", "charge.drift.rate.predicted", "charge.residual")) {
                        same(p.path(metric), report.value(metric, "pair", pair, "symmetry", "rescaling"));
                    }
                }
            } else {
                analyses++;
                for (String layer : LAYERS) {
                    JsonNode l = r.path("layers").path(layer);
                    same(l.path("neurons.distinct"), report.value("neurons.distinct", "layer", layer));
                    same(l.path("layer.effective.rank"), report.value("layer.effective.rank", "layer", layer));
                    for (String side : List.of("a", "b")) {
                        for (String rel : RELATIONS) {
                            same(l.path("crh.alignment." + rel + "." + side),
                                    report.value("crh.alignment", "layer", layer, "side", side, "relation", rel));
                            same(l.path("crh.alignment.baseline." + rel + "." + side),
                                    report.value("crh.alignment.baseline", "layer", layer, "side", side, "relation", rel));
                        }
                    }
                    String phase = l.path("crh.phase").asText();
                    assertThat(report.value("crh.phase", "layer", layer, "phase", phase)).as(layer + " phase").hasValue(1.0);
                }
                assertThat(r.has("details")).as("details are served by /api/layer, not in every record").isFalse();
            }
        }
        assertThat(steps).isGreaterThan(10);
        assertThat(analyses).isGreaterThanOrEqualTo(2);
    }

    @Test
    void theModelTableIsTheLayersAndPairsTheReportsDescribe() throws Exception {
        JsonNode run = run();
        NoetherReport step = List.copyOf(reports).stream().filter(r -> r.kind() == NoetherReport.Kind.STEP).findFirst().orElseThrow();
        assertThat(run.path("models").get(0).asText()).isEqualTo(step.model());
        assertThat(run.path("layers").size()).isEqualTo(LAYERS.size());
        for (int i = 0; i < LAYERS.size(); i++) {
            JsonNode row = run.path("layers").get(i);
            String layer = LAYERS.get(i);
            assertThat(row.path("name").asText()).isEqualTo(layer);
            assertThat(row.path("neurons").asDouble()).isEqualTo(step.value("layer.neurons", "layer", layer).getAsDouble());
            assertThat(row.path("inputs").asDouble()).isEqualTo(step.value("layer.inputs", "layer", layer).getAsDouble());
            assertThat(row.path("probed").asBoolean()).isTrue();
        }
        assertThat(run.path("layers").get(0).path("weights").asLong()).isEqualTo(32L * TeacherStudentData.INPUTS);
        assertThat(run.path("pairs").findValuesAsText("symmetry")).containsExactly("rescaling", "rescaling");
        assertThat(run.path("hasEffectiveLearningRate").asBoolean()).isFalse();
        // Plain SGD: the charge follows the exact one-step identity to round-off, so the residual rule is quiet.
        Map<String, String> alerts = new HashMap<>();
        run.path("alerts").forEach(a -> alerts.put(a.path("rule").asText(), a.path("state").asText()));
        assertThat(alerts).containsEntry("NoetherChargeResidualHigh", "quiet").containsEntry("NoetherDeadNeurons", "quiet")
                .containsEntry("NoetherGpuIdleWhileTraining", "no-data");
        assertThat(run.path("monitor").path("analyses").asLong()).isPositive();
    }

    @Test
    void layerDetailIsTheLatestAnalysisInClusteredOrder() throws Exception {
        NoetherReport last = null;
        for (NoetherReport r : List.copyOf(reports)) {
            if (r.kind() == NoetherReport.Kind.ANALYSIS && (last == null || r.step() >= last.step())) last = r;
        }
        assertThat(last).isNotNull();
        JsonNode detail = get("/api/layer?name=01Linear");
        assertThat(detail.path("step").asLong()).isEqualTo(last.step());
        @SuppressWarnings("unchecked")
        Map<String, Object> details = (Map<String, Object>) ((Map<String, Object>) last.toRecord().get("details")).get("layers");
        @SuppressWarnings("unchecked")
        Map<String, Object> correlation = (Map<String, Object>) ((Map<String, Object>) details.get("01Linear")).get("correlation");
        int[] order = (int[]) correlation.get("order");
        double[] matrix = (double[]) correlation.get("matrix");
        int n = order.length;
        JsonNode heat = detail.path("correlation");
        assertThat(heat.path("cells").asInt()).isEqualTo(n); // 32 neurons: no block averaging
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                assertThat(heat.path("matrix").get(i * n + j).asDouble()).isEqualTo(matrix[order[i] * n + order[j]]);
            }
        }
        // Clustered order puts every neuron's self-correlation on the diagonal.
        for (int i = 0; i < n; i++) assertThat(heat.path("matrix").get(i * n + i).asDouble()).isCloseTo(1.0, within(1e-9));
        for (String side : List.of("a", "b")) {
            JsonNode pah = detail.path("pah").path(side);
            same(pah.path("fitted"), last.value("pah.exponent", "layer", "01Linear", "side", side));
            assertThat(pah.path("logLambdaG").size()).isEqualTo(pah.path("logLambdaH").size()).isPositive();
        }
        assertThat(get("/api/layer?name=nope").path("correlation").isNull()).isTrue();
    }

    private static void same(JsonNode served, OptionalDouble fromReport) {
        if (fromReport.isEmpty()) {
            assertThat(served.isMissingNode() || served.isNull()).as("absent in the report, absent on the page").isTrue();
        } else {
            assertThat(served.isNumber()).as("served " + served).isTrue();
            assertThat(served.asDouble()).isEqualTo(fromReport.getAsDouble());
        }
    }

    private static JsonNode run() throws Exception {
        return get("/api/run");
    }

    private static JsonNode get(String path) throws Exception {
        URI uri = exporter.pageUrl().resolve(path);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return JSON.readTree(r.body());
    }
}
