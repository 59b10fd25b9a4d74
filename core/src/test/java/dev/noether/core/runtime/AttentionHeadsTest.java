package dev.noether.core.runtime;

import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.Merge;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.StepSnapshot;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * heads.dead and heads.distinct of an attention block (METRICS.md §12, §4) on weights built so that the answer is
 * known: of four heads of 2, head 1 is zero in Q, K, V and O (dead), head 3 copies head 0 in every projection (one
 * cluster with it), head 2 is its own.
 */
class AttentionHeadsTest {
    private static final int IN = 3;
    private static final int HEAD = 2;
    private static final int HEADS = 4;
    private static final int D = HEAD * HEADS;
    private static final int OUT = 5;

    @Test
    void aZeroHeadIsDeadAndACopiedHeadIsNotDistinct() {
        NetworkDescription net = NetworkDescription.builder("attention")
                .dense("q", D, IN, true, NetworkDescription.INPUT)
                .dense("k", D, IN, true, NetworkDescription.INPUT)
                .dense("v", D, IN, true, NetworkDescription.INPUT)
                .merge("heads", Merge.ATTENTION, "q", "k", "v")
                .dense("o", OUT, D, true, "heads")
                .attention("attn", "q", "k", "v", "o", HEAD)
                .build();
        assertThat(net.attention()).hasSize(1);
        assertThat(net.attention().get(0).heads()).isEqualTo(HEADS);
        Random r = new Random(3);
        float[][] projections = new float[3][];
        for (int p = 0; p < 3; p++) {
            float[] w = gaussian(r, D * IN);
            for (int c = 0; c < HEAD * IN; c++) {
                w[1 * HEAD * IN + c] = 0;                  // head 1: its rows are zero
                w[3 * HEAD * IN + c] = w[c];               // head 3: a copy of head 0's rows
            }
            projections[p] = w;
        }
        float[] o = gaussian(r, OUT * D);
        for (int row = 0; row < OUT; row++) {
            for (int c = 0; c < HEAD; c++) {
                o[row * D + 1 * HEAD + c] = 0;             // head 1's columns of W_O
                o[row * D + 3 * HEAD + c] = o[row * D + c]; // head 3's columns copy head 0's
            }
        }
        StepSnapshot s = StepSnapshot.builder(0)
                .layer(LayerSnapshot.ofWeights(projections[0], new float[D]))
                .layer(LayerSnapshot.ofWeights(projections[1], new float[D]))
                .layer(LayerSnapshot.ofWeights(projections[2], new float[D]))
                .layer(LayerSnapshot.ofWeights(o, new float[OUT])).build();
        HeavyAnalysis analysis = new HeavyAnalysis(net, NoetherConfig.defaults(), i -> { }, () -> new double[0][]);
        NoetherReport report = analysis.analyze(s, List.of(), Instant.EPOCH);
        assertThat(report.value("heads.dead", "block", "attn")).hasValue(1);
        assertThat(report.value("heads.distinct", "block", "attn")).hasValue(2); // {0, 3} and {2}
    }

    private static float[] gaussian(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }
}
