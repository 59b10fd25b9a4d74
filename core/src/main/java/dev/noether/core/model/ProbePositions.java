package dev.noether.core.model;

import java.util.Arrays;
import java.util.Random;

/**
 * Which spatial positions of a convolution's output the probe measures (METRICS.md §10): all of them while
 * samples × positions stays within {@link #MAX_ROWS}, else a fixed random subset (seeded, sorted, the same for
 * every sample and every analysis) so that the probe's cost stays bounded and its figures are comparable over
 * time. Shared by the engine adapters so DJL and DL4J sample alike.
 */
public final class ProbePositions {
    /** The most (sample, position) pairs one convolution's probe moments are taken over. */
    public static final int MAX_ROWS = 1024;
    /** The seed both engines draw a layer's positions with: {@code SEED + layer index}. */
    public static final long SEED = 0x5eed;

    private ProbePositions() {
    }

    /** {@link #choose} with the shared seed of the layer at {@code layerIndex}, so DJL and DL4J measure alike. */
    public static int[] forLayer(int positions, int samples, int layerIndex) {
        return forLayer(positions, samples, layerIndex, MAX_ROWS);
    }

    /**
     * Like {@link #forLayer(int, int, int)} with at most {@code maxRows} (sample, position) pairs, for a probe
     * planned to fit its time allowance ({@link dev.noether.core.probe.ProbePlan}). The positions of a smaller
     * {@code maxRows} are a subset of those of a larger one (the same seeded draw, stopped earlier).
     */
    public static int[] forLayer(int positions, int samples, int layerIndex, int maxRows) {
        return choose(positions, samples, SEED + layerIndex, maxRows);
    }

    /**
     * The positions (flat indices in [0, positions), row-major over the output's spatial dims) to measure for
     * {@code samples} probe samples: all when samples·positions ≤ {@link #MAX_ROWS}, else
     * max(1, MAX_ROWS / samples) of them drawn without replacement with {@code seed}, in increasing order.
     */
    public static int[] choose(int positions, int samples, long seed) {
        return choose(positions, samples, seed, MAX_ROWS);
    }

    /** {@link #choose(int, int, long)} with {@code maxRows} in place of {@link #MAX_ROWS}. */
    public static int[] choose(int positions, int samples, long seed, int maxRows) {
        if (positions <= 0 || samples <= 0 || maxRows <= 0) {
            throw new IllegalArgumentException("positions " + positions + ", samples " + samples + " and maxRows "
                    + maxRows + " must be positive");
        }
        int keep = kept(positions, samples, maxRows);
        int[] all = new int[positions];
        for (int i = 0; i < positions; i++) {
            all[i] = i;
        }
        if (keep == positions) {
            return all;
        }
        Random r = new Random(seed ^ (31L * positions));
        for (int i = 0; i < keep; i++) { // partial Fisher–Yates
            int j = i + r.nextInt(positions - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] chosen = Arrays.copyOf(all, keep);
        Arrays.sort(chosen);
        return chosen;
    }

    /** How many of {@code positions} positions {@link #choose} keeps for {@code samples} samples and {@code maxRows}. */
    public static int kept(int positions, int samples, int maxRows) {
        return (long) positions * samples <= maxRows ? positions : Math.max(1, maxRows / samples);
    }
}
