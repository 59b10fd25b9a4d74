package dev.noether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.noether.exporter.EventLogReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Programs written the way real ones are (issue 21), each run plain and under the agent: a two-output residual
 * tower and a masked sequence-to-sequence graph on DL4J, a reinforcement-learning loop that passes no batch and
 * DJL's ones-initialized model-zoo ResNet-50. Under the agent they train bit-identically, no probe fails (what the
 * probe cannot do yet is one named, counted part), every mapped layer has its metrics, nothing is counted
 * non-finite, no stack trace reaches the console, and the event log holds one record per step, ending on the
 * final state with what the shutdown had time for. Every run uses one native thread (the programs are not
 * bit-reproducible with several: PyTorch and ND4J reduce in a thread-dependent order) and a probe allowance no
 * loaded machine runs out of (the probe's content is what is checked here; its budget is core's tests').
 */
class RealProgramsIT {
    private static final Duration RUN = Duration.ofMinutes(4);
    private static final Map<String, String> ONE_THREAD = Map.of("OMP_NUM_THREADS", "1");
    private static final List<String> ONE_TORCH_THREAD = List.of("-Dai.djl.pytorch.num_threads=1",
            "-Dai.djl.pytorch.num_interop_threads=1");

    @Test
    void aTwoHeadResidualTower(@TempDir Path tmp) throws Exception {
        Run run = run(tmp, FixtureJars.dl4jClassPath(), "fixture.dl4j", "fixture.dl4j.TowerTrain", "dl4j");
        assertThat(run.metrics.value("noether_analysis_skipped_total", "model", "dl4j", "reason", "probe_part")).isZero();
        run.everyLayerHas("noether_representation_effective_rank");
    }

    @Test
    void aMaskedSeq2seqGraph(@TempDir Path tmp) throws Exception {
        Run run = run(tmp, FixtureJars.dl4jClassPath(), "fixture.dl4j", "fixture.dl4j.Seq2SeqTrain", "dl4j");
        // recurrent layers and the RnnOutputLayer are mapped (METRICS.md §12): every probe pass is whole
        assertThat(run.metrics.value("noether_analysis_skipped_total", "model", "dl4j", "reason", "probe_part"))
                .isEqualTo(0.0);
        assertThat(run.metrics.value("noether_analysis_seconds_count", "model", "dl4j", "tier", "probe")).isPositive();
        run.everyLayerHas("noether_representation_effective_rank");
        assertThat(run.analyses()).allSatisfy(r -> assertThat(r.toString()).doesNotContain("gaps="));
    }

    @Test
    void aReinforcementLearningLoopThatPassesNoBatch(@TempDir Path tmp) throws Exception {
        Run run = run(tmp, FixtureJars.djlClassPath(), "fixture.djl", "fixture.djl.BanditAgent", "bandit");
        assertThat(run.stderr.stream().filter(l -> l.contains("passes no batch to its listeners")).toList())
                .singleElement().asString().contains("NoetherTrainingListener.builder().probe(inputs, labels)");
        assertThat(run.metrics.samples("noether_representation_effective_rank", "model", "bandit")).isEmpty();
    }

    /**
     * DJL's model-zoo ResNet-50 with every weight one, as DJL's own integration test trains it: 19 non-finite skips
     * were counted once; its inference-mode activations are finite, beyond 10¹⁹, and nothing is counted now.
     */
    @Test
    void aOnesInitializedResNet50(@TempDir Path tmp) throws Exception {
        Run run = run(tmp, FixtureJars.djlClassPath(), "fixture.djl", "fixture.djl.OnesResNetTrain", "ones");
        run.everyLayerHas("noether_representation_effective_rank");
        assertThat(run.analyses().get(0).toString()).contains("probe.scale");
    }

    /** The fixture run plain, then under the agent; the checks every program passes. */
    private static Run run(Path tmp, List<Path> classPath, String pkg, String main, String model) throws Exception {
        Path jar = FixtureJars.thin(main.substring(main.lastIndexOf('.') + 1), main, classPath, pkg);
        String plain;
        try (ChildJvm app = ChildJvm.start(null, ONE_TORCH_THREAD, ONE_THREAD, jar)) {
            plain = app.awaitStdout(l -> l.startsWith("parameters "), RUN);
            assertThat(app.finish(RUN)).isZero();
        }
        int port = LoopbackPort.free();
        Path events = tmp.resolve("events.jsonl");
        Run run = new Run(model);
        try (ChildJvm app = ChildJvm.start("port=" + port + ",events=" + events + ",maxProbeTime=60s", ONE_TORCH_THREAD,
                ONE_THREAD, jar)) {
            assertThat(app.awaitStdout(l -> l.startsWith("parameters "), RUN)).as("parameters under the agent")
                    .isEqualTo(plain);
            run.metrics = Endpoint.afterAnalysis(port, RUN, model);
            assertThat(app.finish(RUN)).isZero();
            run.stderr = app.stderr();
            // the agent's own lines: where the metrics are, then at most one line per model naming its unmapped nodes
            assertThat(app.agentLines()).first().isEqualTo("noether: metrics at http://127.0.0.1:" + port
                    + "/metrics, events in " + events);
            assertThat(app.agentLines().subList(1, app.agentLines().size()))
                    .allMatch(l -> l.startsWith("noether: model '") && l.contains(" not mapped "));
        }
        run.records = EventLogReader.readAll(events);
        run.checkCommon();
        return run;
    }

    private static final class Run {
        final String model;
        PrometheusText metrics;
        List<String> stderr;
        List<Map<String, Object>> records;

        Run(String model) {
            this.model = model;
        }

        void checkCommon() {
            for (var s : metrics.samples("noether_errors_total", "model", model)) {
                assertThat(s.value()).as("errors at stage %s", s.labels().get("stage")).isZero();
            }
            assertThat(metrics.samples("noether_errors_total", "model", model)).isNotEmpty();
            for (var s : metrics.samples("noether_nonfinite_total", "model", model)) {
                assertThat(s.value()).as("non-finite skips of %s", s.labels().get("layer")).isZero();
            }
            everyLayerHas("noether_layer_weight_norm");
            everyLayerHas("noether_layer_effective_rank");
            assertThat(stderr).as("no stack trace on the console").noneMatch(l -> l.startsWith("\tat ")
                    || l.contains("Exception:"));
            // one record per step; the last step record is the final state, with what the shutdown had time for
            List<Map<String, Object>> steps = records.stream()
                    .filter(r -> "step".equals(r.get("type")) && model.equals(r.get("model"))).toList();
            Set<Object> numbers = new HashSet<>();
            for (Map<String, Object> r : steps) {
                assertThat(numbers.add(r.get("step"))).as("step %s recorded once", r.get("step")).isTrue();
            }
            Map<String, Object> last = steps.get(steps.size() - 1);
            assertThat(((Map<?, ?>) last.get("details")).get("final")).asString().contains("analysis=");
            assertThat(analyses()).isNotEmpty();
            assertThat(records.toString()).doesNotContain("nonfinite");
        }

        List<Map<String, Object>> analyses() {
            return records.stream().filter(r -> "analysis".equals(r.get("type")) && model.equals(r.get("model"))).toList();
        }

        /** Every layer the monitor maps ({@code noether_layer_info}) has a sample of {@code family}. */
        void everyLayerHas(String family) {
            var layers = metrics.samples("noether_layer_info", "model", model);
            assertThat(layers).isNotEmpty();
            for (var layer : layers) {
                assertThat(metrics.samples(family, "model", model, "layer", layer.labels().get("layer")))
                        .as("%s of %s", family, layer.labels().get("layer")).isNotEmpty();
            }
        }
    }
}
