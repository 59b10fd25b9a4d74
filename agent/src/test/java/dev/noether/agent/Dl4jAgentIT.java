package dev.noether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.noether.dl4j.NoetherListener;
import dev.noether.exporter.NoetherExporter;
import fixture.dl4j.Dl4jTrain;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.junit.jupiter.api.Test;

/** {@code java -javaagent:noether-agent.jar -jar train.jar} on an unmodified DL4J program. */
class Dl4jAgentIT {
    private static final int ITERATIONS = 60;

    @Test
    void monitorsBothNetworksThroughTheirOwnSetListeners() throws Exception {
        Path jar = FixtureJars.thin("dl4j-train", "fixture.dl4j.Dl4jTrain", FixtureJars.dl4jClassPath(), "fixture.dl4j");
        int port = LoopbackPort.free();
        try (ChildJvm app = ChildJvm.start("port=" + port, List.of(), jar, Integer.toString(ITERATIONS))) {
            app.awaitStdout(("computation graph trained " + ITERATIONS + " iterations")::equals, Duration.ofMinutes(3));
            PrometheusText metrics = Endpoint.afterAnalysis(port, Duration.ofSeconds(60), "dl4j", "dl4j-2");

            // The program replaced the listeners (after init(); for the graph, setListeners ran init() itself):
            // the agent's listener came back, once.
            assertThat(metrics.value("noether_steps_total", "model", "dl4j")).isEqualTo(ITERATIONS);
            assertThat(metrics.value("noether_steps_total", "model", "dl4j-2")).isEqualTo(ITERATIONS);
            assertThat(metrics.samples("noether_steps_total")).hasSize(2);
            assertThat(DirectRun.noetherNames(metrics)).isEqualTo(namesOfTheListenerAttachedByHand());

            assertThat(app.finish(Duration.ofSeconds(30))).isZero();
            assertThat(app.agentLines()).containsExactly("noether: metrics at http://127.0.0.1:" + port + "/metrics");
        }
    }

    /**
     * METRICS.md §6 at JVM shutdown: the fixture trains with {@code fit(DataSet)} loops (no epoch end) and exits
     * without closing anything; the agent's shutdown hook analyses both networks' final states (after iteration
     * 60) before the exporter flushes the event log.
     */
    @Test
    void analysesTheFinalStateOfBothNetworksAtShutdown(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path jar = FixtureJars.thin("dl4j-train", "fixture.dl4j.Dl4jTrain", FixtureJars.dl4jClassPath(), "fixture.dl4j");
        Path events = tmp.resolve("events.jsonl");
        int port = LoopbackPort.free();
        try (ChildJvm app = ChildJvm.start("port=" + port + ",events=" + events, List.of(), jar, Integer.toString(ITERATIONS))) {
            assertThat(app.finish(Duration.ofMinutes(3))).isZero();
        }
        List<java.util.Map<String, Object>> records = dev.noether.exporter.EventLogReader.readAll(events);
        for (String model : List.of("dl4j", "dl4j-2")) {
            assertThat(records).as(model).filteredOn(r -> "analysis".equals(r.get("type")) && model.equals(r.get("model")))
                    .last().satisfies(r -> assertThat(r.get("step")).isEqualTo((long) ITERATIONS));
        }
    }

    /**
     * The reference: the fixture trained in this JVM with the DL4J listener attached by hand (one per network,
     * named as the agent names them), served by the exporter as the agent serves it.
     */
    private static Set<String> namesOfTheListenerAttachedByHand() throws InterruptedException {
        try (NoetherExporter exporter = NoetherExporter.builder().port(0).start();
                NoetherListener network = NoetherListener.builder().registry(exporter.registry()).modelName("dl4j").build();
                NoetherListener graph = NoetherListener.builder().registry(exporter.registry()).modelName("dl4j-2").build()) {
            Dl4jTrain.train(ITERATIONS, new TrainingListener[] {network}, new TrainingListener[] {graph});
            // DL4J has no end-of-training callback: wait for the analyses as for the agent.
            return DirectRun.noetherNames(Endpoint.afterAnalysis(exporter.url(), Duration.ofSeconds(60), "dl4j", "dl4j-2"));
        }
    }
}
