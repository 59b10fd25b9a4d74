package dev.noether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Whatever goes wrong in the agent, the program trains to the end and exits normally; stderr says why, once. */
class AgentFailureIT {
    private static final int STEPS = 50;

    private static Path program() {
        return FixtureJars.thin("djl-train", "fixture.djl.DjlTrain", FixtureJars.djlClassPath(), "fixture.djl");
    }

    @Test
    void aBadOptionLeavesTheProgramUnmonitored() throws Exception {
        try (ChildJvm app = ChildJvm.start("port=abc", List.of(), program(), Integer.toString(STEPS))) {
            app.awaitStdout(("trained " + STEPS + " steps")::equals, Duration.ofMinutes(2));
            assertThat(app.finish(Duration.ofSeconds(30))).isZero();
            assertThat(app.agentLines()).containsExactly(
                    "noether: agent off, the application runs unmonitored: agent option 'port=abc' is not a port number 0..65535");
        }
    }

    @Test
    void aBusyPortLeavesTheProgramUnmonitored() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            try (ChildJvm app = ChildJvm.start("port=" + port, List.of(), program(), Integer.toString(STEPS))) {
                app.awaitStdout(("trained " + STEPS + " steps")::equals, Duration.ofMinutes(2));
                assertThat(app.finish(Duration.ofSeconds(30))).isZero();
                assertThat(app.agentLines()).singleElement().asString()
                        .startsWith("noether: cannot start the metrics endpoint on 127.0.0.1:" + port + " (")
                        .endsWith("); the application runs unmonitored");
            }
        }
    }
}
