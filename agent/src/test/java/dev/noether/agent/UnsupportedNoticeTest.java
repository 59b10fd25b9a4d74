package dev.noether.agent;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerKind;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReport;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Under the agent the library logs only warnings, so the reason a node is not mapped reaches the user on the
 * agent's own line (METRICS.md §12): once per model, from the first step report's model details.
 */
class UnsupportedNoticeTest {

    @Test
    void theReasonsAreSaidOnceOnTheAgentsLineAndEveryReportPassesOn() throws InterruptedException {
        NetworkDescription d = NetworkDescription.builder("lstm-net")
                .unsupported("emb", "EmbeddingLayer is not modelled; weight metrics only for emb")
                .weightOnly("emb", LayerKind.EMBEDDING, 2, 3)
                .dense("fc", 2, 2, true).activation(Activation.RELU)
                .build();
        List<NoetherReport> passed = new ArrayList<>();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        try (NoetherMonitor monitor = NoetherMonitor.builder(d)
                .config(NoetherConfig.builder().observeEvery(1).overheadBudget(1).build()).build()) {
            monitor.addListener(new UnsupportedNotice(passed::add));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            for (long step = 0; step < 3; step++) {
                monitor.onStep(StepSnapshot.builder(step).loss(1)
                        .layer(LayerSnapshot.of(new float[] {1, 2, 3, 4}, new float[] {0, 0}, null, null))
                        .layer(LayerSnapshot.of(new float[] {1, 2, 3, 4, 5, 6}, null, null, null)).build());
            }
            assertThat(monitor.awaitSteps(Duration.ofMinutes(2))).isTrue();
        } finally {
            System.setErr(saved);
        }
        String said = err.toString(StandardCharsets.UTF_8);
        assertThat(said).contains("noether: model 'lstm-net': 1 node(s) not mapped (their weights, if any, get weight metrics only)")
                .contains("emb (EmbeddingLayer is not modelled; weight metrics only for emb)");
        assertThat(said.indexOf("not mapped")).isEqualTo(said.lastIndexOf("not mapped"));
        assertThat(passed).hasSizeGreaterThanOrEqualTo(3);
    }
}
