package dev.noether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.tools.attach.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -javaagent:noether-agent.jar -jar train.jar} on an unmodified DJL program, shipped in several ways. */
class DjlAgentIT {
    static final int STEPS = 300;
    private static final Duration TRAINING = Duration.ofMinutes(2);
    private static final Duration ANALYSIS = Duration.ofSeconds(60);
    private static final Duration EXIT = Duration.ofSeconds(30);

    @Test
    void monitorsAThinJarWithTheListenersMetricNames() throws Exception {
        Path jar = FixtureJars.thin("djl-train", "fixture.djl.DjlTrain", FixtureJars.djlClassPath(), "fixture.djl");
        int port = LoopbackPort.free();
        try (ChildJvm app = ChildJvm.start("port=" + port, List.of(), jar, Integer.toString(STEPS))) {
            app.awaitStdout(("trained " + STEPS + " steps")::equals, TRAINING);
            PrometheusText metrics = Endpoint.afterAnalysis(port, ANALYSIS, "mlp");

            // Exactly one listener per trainer: a second one would double the count or add a model.
            assertThat(metrics.value("noether_steps_total", "model", "mlp")).isEqualTo(STEPS);
            assertThat(metrics.samples("noether_steps_total")).hasSize(1);
            assertThat(DirectRun.noetherNames(metrics)).isEqualTo(DirectRun.djlNames(STEPS));

            assertThat(app.finish(EXIT)).isZero();
            assertThat(app.agentLines()).containsExactly("noether: metrics at http://127.0.0.1:" + port + "/metrics");
        }
    }

    @Test
    void attachesToARunningProgram() throws Exception {
        Path jar = FixtureJars.thin("djl-train", "fixture.djl.DjlTrain", FixtureJars.djlClassPath(), "fixture.djl");
        int port = LoopbackPort.free();
        try (ChildJvm app = ChildJvm.start(null, List.of("-Dfixture.gate=true"), jar, Integer.toString(STEPS))) {
            app.awaitStdout("ready"::equals, TRAINING);
            VirtualMachine vm = VirtualMachine.attach(Long.toString(app.pid()));
            try {
                vm.loadAgent(FixtureJars.AGENT_JAR.toString(), "port=" + port);
            } finally {
                vm.detach();
            }
            app.send("go");
            app.awaitStdout(("trained " + STEPS + " steps")::equals, TRAINING);
            PrometheusText metrics = Endpoint.afterAnalysis(port, ANALYSIS, "mlp");
            assertThat(metrics.value("noether_steps_total", "model", "mlp")).isEqualTo(STEPS);

            assertThat(app.finish(EXIT)).isZero();
            assertThat(app.agentLines()).containsExactly("noether: metrics at http://127.0.0.1:" + port + "/metrics");
        }
    }

    @Test
    void monitorsAFatJarAndWritesTheEventLog(@TempDir Path tmp) throws Exception {
        List<Path> inside = FixtureJars.djlClassPath().stream()
                .filter(p -> !FixtureJars.nameStartsWith(p, "pytorch-native")).collect(Collectors.toList());
        List<Path> natives = FixtureJars.djlClassPath().stream()
                .filter(p -> FixtureJars.nameStartsWith(p, "pytorch-native")).collect(Collectors.toList());
        Path jar = FixtureJars.fat("djl-train-fat", "fixture.djl.DjlTrain", inside, natives, "fixture.djl");
        int port = LoopbackPort.free();
        Path events = tmp.resolve("events.jsonl");
        try (ChildJvm app = ChildJvm.start("port=" + port + ",events=" + events, List.of(), jar, Integer.toString(STEPS))) {
            app.awaitStdout(("trained " + STEPS + " steps")::equals, TRAINING);
            PrometheusText metrics = Endpoint.afterAnalysis(port, ANALYSIS, "mlp");
            assertThat(metrics.value("noether_steps_total", "model", "mlp")).isEqualTo(STEPS);
            assertThat(metrics.names()).contains("noether_charge", "noether_layer_weight_norm", "noether_info");

            assertThat(app.finish(EXIT)).isZero();
            assertThat(app.agentLines()).containsExactly(
                    "noether: metrics at http://127.0.0.1:" + port + "/metrics, events in " + events);
        }
        // The shutdown hook closed the log after writing what was queued.
        List<String> records = Files.readAllLines(events);
        assertThat(records).isNotEmpty().allMatch(r -> r.startsWith("{") && r.endsWith("}"));
        assertThat(records).anyMatch(r -> r.contains("\"mlp\""));
    }

    @Test
    void monitorsAProgramInAnIsolatedClassLoader() throws Exception {
        Path program = FixtureJars.thin("djl-train", "fixture.djl.DjlTrain", FixtureJars.djlClassPath(), "fixture.djl");
        Path launcher = FixtureJars.thin("isolated-launcher", "fixture.isolated.IsolatedLauncher", List.of(), "fixture.isolated");
        String classPath = FixtureJars.join(FixtureJars.concat(List.of(program), FixtureJars.djlClassPath()));
        int port = LoopbackPort.free();
        try (ChildJvm app = ChildJvm.start("port=" + port, List.of(), launcher, "fixture.djl.DjlTrain", classPath,
                Integer.toString(STEPS))) {
            app.awaitStdout(("trained " + STEPS + " steps")::equals, TRAINING);
            assertThat(app.stdout()).contains("system class path sees DJL: false");
            PrometheusText metrics = Endpoint.afterAnalysis(port, ANALYSIS, "mlp");
            assertThat(metrics.value("noether_steps_total", "model", "mlp")).isEqualTo(STEPS);
            assertThat(metrics.names()).contains("noether_charge", "noether_layer_weight_norm");

            assertThat(app.finish(EXIT)).isZero();
            assertThat(app.agentLines()).containsExactly("noether: metrics at http://127.0.0.1:" + port + "/metrics");
        }
    }

    @Test
    void leavesTheApplicationItsOwnMicrometer() throws Exception {
        List<Path> classPath = FixtureJars.concat(FixtureJars.djlClassPath(), FixtureJars.otherMicrometer());
        Path jar = FixtureJars.thin("own-micrometer-train", "fixture.micrometer.OwnMicrometerTrain", classPath,
                "fixture.micrometer", "fixture.djl");
        int port = LoopbackPort.free();
        try (ChildJvm app = ChildJvm.start("port=" + port, List.of(), jar, Integer.toString(STEPS))) {
            String counted = app.awaitStdout(l -> l.startsWith("app counted"), TRAINING);
            assertThat(counted).startsWith("app counted " + STEPS + " batches with file:")
                    .endsWith("/micrometer-core-" + System.getProperty("noether.fixture.micrometer.version", "1.16.8") + ".jar");
            PrometheusText metrics = Endpoint.afterAnalysis(port, ANALYSIS, "mlp");
            assertThat(metrics.value("noether_steps_total", "model", "mlp")).isEqualTo(STEPS);

            assertThat(app.finish(EXIT)).isZero();
            assertThat(app.agentLines()).containsExactly("noether: metrics at http://127.0.0.1:" + port + "/metrics");
        }
    }
}
