package dev.noether.examples;

import dev.noether.exporter.EventLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo commands, run in-process: they train, print progress, log events and exit 0. */
class DemoCommandsTest {

    @Test
    void trainsWithLiveMetricsAndExitsZero(@TempDir Path dir) throws Exception {
        Path events = dir.resolve("run.jsonl");
        String out = captureStdout(() -> assertThat(NoetherDemo.run("djl-mlp", "--steps", "400", "--samples", "512",
                "--every", "50", "--port", "0", "--progress-every", "200", "--events", events.toString())).isZero());
        assertThat(out).contains("Noether metrics at http://127.0.0.1:").contains("step 200/400").contains("step 400/400")
                .contains("Training done after 400 steps").contains("final state: phase")
                .contains("The metrics endpoint closes now.");
        List<Map<String, Object>> records = EventLogReader.readAll(events);
        assertThat(records).isNotEmpty();
        assertThat(records).anySatisfy(r -> assertThat(r.get("type")).isEqualTo("analysis"));
        assertThat(records).anySatisfy(r -> assertThat(r.get("type")).isEqualTo("step"));
        // the event log ends on the final state: the last analysis describes the state after step 400
        assertThat(records).filteredOn(r -> "analysis".equals(r.get("type"))).last()
                .satisfies(r -> assertThat(r.get("step")).isEqualTo(400L));
    }

    /** The transformer demo prints each block's double-rotation charges and per-head PAH exponents, logged too. */
    @Test
    void theTransformerDemoPrintsTheAttentionChargesAndPerHeadExponents(@TempDir Path dir) throws Exception {
        Path events = dir.resolve("transformer.jsonl");
        String out = captureStdout(() -> assertThat(NoetherDemo.run("djl-transformer", "--blocks", "2", "--steps", "60",
                "--samples", "256", "--every", "30", "--events", events.toString())).isZero());
        assertThat(out).contains("01TransformerEncoderBlock_01selfAttention (4 heads of 4)")
                .contains("02TransformerEncoderBlock_01selfAttention (4 heads of 4)")
                .containsPattern("qk +charge [0-9.]+ .* residual [0-9.e-]+ +violation")
                .containsPattern("02TransformerEncoderBlock_01selfAttention_02queryProjection +PAH κ_b -?[0-9.]+, per head: "
                        + "\\[-?[0-9.]+, -?[0-9.]+, -?[0-9.]+, -?[0-9.]+\\]");
        List<Map<String, Object>> records = EventLogReader.readAll(events);
        assertThat(records).filteredOn(r -> "analysis".equals(r.get("type"))).last().satisfies(r -> {
            Map<?, ?> layers = (Map<?, ?>) ((Map<?, ?>) r.get("details")).get("layers");
            Map<?, ?> value = (Map<?, ?>) layers.get("01TransformerEncoderBlock_01selfAttention_03valueProjection");
            assertThat(((Map<?, ?>) ((Map<?, ?>) value.get("pah")).get("heads")).get("heads")).asList().hasSize(4);
        });
    }

    @Test
    void theIrisDemoTrainsOnTheDataShippedInTheDl4jJar() throws Exception {
        assertThat(Dl4jIrisCommand.load().numExamples()).isEqualTo(150);
        String out = captureStdout(() -> assertThat(NoetherDemo.run("dl4j-iris", "--steps", "200", "--batch", "150", "--norm", "none",
                "--every", "50", "--port", "0", "--progress-every", "100")).isZero());
        assertThat(out).contains("step 200/200").contains("Training done after 200 steps");
    }

    /** The five optimizers side by side: a page each, then one table with every pair's four parts and the balance. */
    @Test
    void theOptimizersComparisonPrintsTheChargeBudgetOfEveryOptimizer() throws Exception {
        String out = captureStdout(() -> assertThat(NoetherDemo.run("optimizers", "--steps", "60", "--samples", "512",
                "--port", "0")).isZero());
        for (String optimizer : List.of("sgd", "momentum", "nesterov", "adam", "adamw")) {
            assertThat(out).containsPattern("(?m)^" + optimizer + " +\\((DJL|DL4J), .*\\): page at http://127.0.0.1:");
            // its first pair's line: decay, optimizer, gradient, step, observed, then the balance and the loss
            assertThat(out).containsPattern("(?m)^" + optimizer + " +(DJL|DL4J) +1:2( +-?\\d\\.\\d\\de[-+]\\d+){5} +"
                    + "\\d\\.\\d\\de[-+]\\d+ → \\d\\.\\d\\de[-+]\\d+ +\\d\\.\\d\\de[-+]\\d+ +\\d+ steps$");
        }
        assertThat(out).contains("What moved each pair's charge");
    }

    @Test
    void theLstmDemoPrintsWhatNoetherSeesOfItsRecurrentLayer() throws Exception {
        String out = captureStdout(() -> assertThat(NoetherDemo.run("dl4j-lstm", "--steps", "20", "--samples", "64",
                "--batch", "16", "--width", "8", "--length", "6", "--every", "10", "--port", "0",
                "--progress-every", "10")).isZero());
        assertThat(out).contains("Training done after 20 steps").contains("What Noether sees:")
                .containsPattern("lstm +lstm +32x11 +\\|W\\| [0-9.]+")
                .containsPattern("out +dense +2x8 +\\|W\\| [0-9.]+");
    }

    /** The LSTM demo ends by itself (DL4J's LSTM is slow: its own, smaller defaults); the other demos keep theirs. */
    @Test
    void theLstmDemoHasItsOwnDefaultsThatEndTheRun() throws Exception {
        String lstm = captureStdout(() -> assertThat(NoetherDemo.run("dl4j-lstm", "--help")).isZero());
        assertThat(lstm.replaceAll("\\s+", " ")).contains("(default: 600)").contains("samples (default: 1024)")
                .contains("width (default: 32)");
        String mlp = captureStdout(() -> assertThat(NoetherDemo.run("dl4j-mlp", "--help")).isZero());
        assertThat(mlp.replaceAll("\\s+", " ")).contains("Ctrl-C (default: 0)").contains("samples (default: 4096)");
    }

    @Test
    void badFlagsGiveAClearMessageAndExitCode2() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            assertThat(NoetherDemo.run("djl-mlp", "--batch", "0")).isEqualTo(2);
        } finally {
            System.setErr(err);
        }
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("--batch must be between 1 and --samples");
    }

    private static String captureStdout(ThrowingRunnable body) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(out);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
