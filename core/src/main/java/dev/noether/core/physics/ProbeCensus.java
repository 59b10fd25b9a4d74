package dev.noether.core.physics;

import java.util.Arrays;

/**
 * Neuron census on the probe batch (METRICS.md §4): neurons that never fire ({@code neurons.inactive}) and the
 * block structure of the pre-activation correlations ({@code neuron.blocks}, {@code neuron.block.max.size},
 * {@code neuron.correlation.mean.abs}).
 *
 * <p>Inputs are the per-layer probe moments the adapters send: H_b = E[h_b h_bᵀ] (m×m, row-major
 * {@code double[]}), μ = E[h_b] (length m), and the fraction of probe samples on which each neuron's
 * post-activation is non-zero. Pure functions, no state.
 */
public final class ProbeCensus {

    static final double DEFAULT_BLOCK_THRESHOLD = 0.9;

    /** Variance at or below this fraction of the largest variance counts as zero (METRICS.md §4). */
    static final double ZERO_VARIANCE_FRACTION = 1e-12;

    /**
     * Variance at or below this fraction of the neuron's own E[h²] is not resolvable from the moments: the
     * variance is computed as E[h²] − μ², and when H_b comes from float32 sums a constant neuron (for
     * instance a dead one whose pre-activation is its bias) leaves a round-off residue of ~1e-7·E[h²], whose
     * "correlations" with everything are noise and would fake blocks. Dropping std/rms ≤ 1e-3 only loses
     * neurons that are constant to within 0.1% of their magnitude.
     */
    static final double UNRESOLVED_VARIANCE_FRACTION = 1e-6;

    private ProbeCensus() {
    }

    /** Neurons whose post-activation was zero on every probe sample (active fraction exactly 0). */
    public static int inactive(float[] activeFraction) {
        int count = 0;
        for (float f : activeFraction) {
            if (f == 0f) {
                count++;
            }
        }
        return count;
    }

    /**
     * Pearson correlation of the pre-activations from their moments: covariance C = H_b − μμᵀ (H_b
     * symmetrized as (H_ij + H_ji)/2), then R_ij = C_ij / sqrt(C_ii C_jj), clamped to [−1, 1], over the kept
     * neurons. Neuron i is dropped as zero-variance when C_ii is not finite, ≤ 0, ≤ {@value
     * #ZERO_VARIANCE_FRACTION}·max_j C_jj, or ≤ {@value #UNRESOLVED_VARIANCE_FRACTION}·H_ii.
     *
     * <p>Blocks are the connected components of size ≥ 2 of the graph joining kept i, j when
     * |R_ij| ≥ {@code blockThreshold} (so anti-correlated copies belong together: |R| is what matters for
     * redundancy); the largest block size is 0 when there is no block. Cost O(m²); the heatmap ordering
     * ({@link NeuronCorrelation#order()}) is computed only when asked.
     *
     * @param hb   H_b, row-major m×m
     * @param mean μ, length m
     */
    public static NeuronCorrelation correlation(double[] hb, double[] mean, int m, double blockThreshold) {
        if (m < 0 || hb.length != (long) m * m || mean.length != m) {
            throw new IllegalArgumentException("expected H_b of " + m + "×" + m + " and μ of " + m
                    + ", got " + hb.length + " and " + mean.length);
        }
        double[] variance = new double[m];
        double maxVariance = 0;
        for (int i = 0; i < m; i++) {
            variance[i] = hb[i * m + i] - mean[i] * mean[i];
            if (Double.isFinite(variance[i]) && variance[i] > maxVariance) {
                maxVariance = variance[i];
            }
        }
        int[] keptScratch = new int[m];
        int d = 0;
        for (int i = 0; i < m; i++) {
            double v = variance[i];
            if (Double.isFinite(v) && v > 0 && v > ZERO_VARIANCE_FRACTION * maxVariance
                    && v > UNRESOLVED_VARIANCE_FRACTION * hb[i * m + i]) {
                keptScratch[d++] = i;
            }
        }
        int[] kept = Arrays.copyOf(keptScratch, d);

        double[] std = new double[d];
        for (int a = 0; a < d; a++) {
            std[a] = Math.sqrt(variance[kept[a]]);
        }
        double[] r = new double[d * d];
        double sumAbs = 0;
        for (int a = 0; a < d; a++) {
            int i = kept[a];
            r[a * d + a] = 1.0;
            for (int b = a + 1; b < d; b++) {
                int j = kept[b];
                double covariance = 0.5 * (hb[i * m + j] + hb[j * m + i]) - mean[i] * mean[j];
                double rho = Math.max(-1.0, Math.min(1.0, covariance / (std[a] * std[b])));
                r[a * d + b] = rho;
                r[b * d + a] = rho;
                sumAbs += Math.abs(rho);
            }
        }
        double meanAbs = d < 2 ? Double.NaN : sumAbs / ((double) d * (d - 1) / 2);

        // Connected components by breadth-first search over the dense thresholded matrix: O(d²).
        boolean[] seen = new boolean[d];
        int[] queue = new int[d];
        int blocks = 0;
        int maxBlockSize = 0;
        for (int start = 0; start < d; start++) {
            if (seen[start]) {
                continue;
            }
            seen[start] = true;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            while (head < tail) {
                int a = queue[head++];
                for (int b = 0; b < d; b++) {
                    if (!seen[b] && Math.abs(r[a * d + b]) >= blockThreshold) {
                        seen[b] = true;
                        queue[tail++] = b;
                    }
                }
            }
            if (tail >= 2) {
                blocks++;
                maxBlockSize = Math.max(maxBlockSize, tail);
            }
        }
        return new NeuronCorrelation(blocks, maxBlockSize, meanAbs, kept, r);
    }
}
