package dev.noether.core.runtime;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerKind;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.Merge;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.Normalization;
import dev.noether.core.model.Op;
import dev.noether.core.model.StepSnapshot;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** norm.imbalance along the longest chain of a residual graph, effective learning rates under BN (METRICS.md §10). */
class GraphImbalanceTest {
    @Test
    void imbalanceIgnoresTheProjectionShortcutAndBatchNormMakesConvolutionsScaleInvariant() {
        NetworkDescription d = NetworkDescription.builder("res")
                .conv("c0", LayerKind.CONV2D, 2, 1, true, new int[] {1, 1}).activation("r0", Activation.RELU, "c0")
                .conv("proj", LayerKind.CONV2D, 2, 2, false, new int[] {1, 1}, "r0")
                .conv("c1", LayerKind.CONV2D, 2, 2, false, new int[] {1, 1}, "r0")
                .normalization("bn1", Normalization.BATCH_NORM, "c1").activation("r1", Activation.RELU, "bn1")
                .conv("c2", LayerKind.CONV2D, 2, 2, true, new int[] {1, 1}, "r1")
                .merge("add", Merge.ADD, "c2", "proj").op("gap", Op.GLOBAL_AVG_POOL, "add").flatten("f", 1, "gap")
                .dense("fc", 1, 2, true, "f")
                .build();
        // ‖W‖: c0 = 1, proj = 100, c1 = 2, c2 = 4, fc = 1
        double[] norms = {1, 100, 2, 4, 1};
        StepSnapshot.Builder s = StepSnapshot.builder(0).loss(0);
        for (int l = 0; l < d.layers().size(); l++) {
            int size = d.layers().get(l).outputs() * d.layers().get(l).inputs();
            float[] w = new float[size];
            w[0] = (float) norms[l];
            s.layer(LayerSnapshot.ofWeights(w, d.layers().get(l).hasBias() ? new float[d.layers().get(l).outputs()] : null));
        }
        NoetherReport r = new StepTier(d, 1).observe(s.optimizer(dev.noether.core.model.OptimizerSettings.plainSgd(0.1, 0, 0))
                .build(), Instant.EPOCH, i -> { });
        // intermediates of c0 → c1 → c2 → fc: ‖W‖ = 2 and 4, CV = 1/3
        double mean = 3;
        double std = Math.sqrt(((2 - mean) * (2 - mean) + (4 - mean) * (4 - mean)) / 2);
        assertThat(r.value("norm.imbalance").getAsDouble()).isCloseTo(std / mean, within(1e-12));
        assertThat(r.value("layer.effective.learning.rate", "layer", "c1").getAsDouble()).isCloseTo(0.1 / 4, within(1e-12));
        assertThat(r.value("layer.effective.learning.rate", "layer", "c2")).isEmpty();
        assertThat(Arrays.asList(d.longestChain().stream().map(l -> l.name()).toArray())).containsExactly("c0", "c1", "c2", "fc");
    }
}
