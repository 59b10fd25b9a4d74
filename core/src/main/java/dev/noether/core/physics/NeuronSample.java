package dev.noether.core.physics;

import org.ejml.data.DMatrixRMaj;

import java.util.Arrays;
import java.util.Random;

/**
 * A fixed random subset of neurons for layers wider than the configured {@code exactDimensionLimit}
 * (METRICS.md §6). CRH alignments, PAH and FDT of such a layer are computed on the principal submatrices
 * over the sample: every entry used is exact (Z_b = WWᵀ restricted to the sample still sums over all
 * inputs), so the Pearson alignment is that of a uniformly sampled block of the full matrices, and an
 * identity that holds entrywise (FDT) holds on the block. The cost falls from O(d³) to O(d k²) for a
 * sample of k.
 */
public final class NeuronSample {
    private NeuronSample() {}

    /** k sorted indices out of d drawn with a fixed seed, or null (meaning all) when d ≤ k. */
    public static int[] of(int d, int k, long seed) {
        if (d <= k) {
            return null;
        }
        int[] all = new int[d];
        for (int i = 0; i < d; i++) {
            all[i] = i;
        }
        Random r = new Random(seed ^ d);
        for (int i = 0; i < k; i++) { // partial Fisher–Yates
            int j = i + r.nextInt(d - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] sample = Arrays.copyOf(all, k);
        Arrays.sort(sample);
        return sample;
    }

    /** S[idx, idx]; S itself when idx is null. */
    public static DMatrixRMaj principal(DMatrixRMaj s, int[] idx) {
        if (idx == null) {
            return s;
        }
        DMatrixRMaj out = new DMatrixRMaj(idx.length, idx.length);
        for (int a = 0; a < idx.length; a++) {
            for (int b = 0; b < idx.length; b++) {
                out.data[a * idx.length + b] = s.unsafe_get(idx[a], idx[b]);
            }
        }
        return out;
    }

    /** W[idx, :]; W itself when idx is null. */
    public static DMatrixRMaj rows(DMatrixRMaj w, int[] idx) {
        if (idx == null) {
            return w;
        }
        DMatrixRMaj out = new DMatrixRMaj(idx.length, w.numCols);
        for (int a = 0; a < idx.length; a++) {
            System.arraycopy(w.data, idx[a] * w.numCols, out.data, a * w.numCols, w.numCols);
        }
        return out;
    }

    /** W[:, idx]; W itself when idx is null. */
    public static DMatrixRMaj columns(DMatrixRMaj w, int[] idx) {
        if (idx == null) {
            return w;
        }
        DMatrixRMaj out = new DMatrixRMaj(w.numRows, idx.length);
        for (int i = 0; i < w.numRows; i++) {
            for (int b = 0; b < idx.length; b++) {
                out.data[i * idx.length + b] = w.data[i * w.numCols + idx[b]];
            }
        }
        return out;
    }
}
