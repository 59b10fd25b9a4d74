package dev.noether.core.physics;

import java.util.Arrays;

/**
 * Immutable result of {@link ProbeCensus#correlation}: the Pearson correlation of one layer's
 * pre-activations over the probe batch, restricted to the neurons with non-zero variance (METRICS.md §4).
 *
 * <p>Positions {@code 0..kept()-1} index the kept neurons; {@code keptNeurons()[p]} is the original neuron
 * index of position p. The correlation matrix is kept×kept, row-major {@code double[]}.
 */
public final class NeuronCorrelation {

    private final int blocks;
    private final int maxBlockSize;
    private final double meanAbs;
    private final int[] keptNeurons;
    private final double[] r;
    private volatile int[] order; // computed on first use: the metrics do not need it

    /** Takes ownership of the arrays (callers hand over fresh ones). */
    public NeuronCorrelation(int blocks, int maxBlockSize, double meanAbs, int[] keptNeurons, double[] r) {
        if (r.length != (long) keptNeurons.length * keptNeurons.length) {
            throw new IllegalArgumentException("R is not kept×kept");
        }
        this.blocks = blocks;
        this.maxBlockSize = maxBlockSize;
        this.meanAbs = meanAbs;
        this.keptNeurons = keptNeurons;
        this.r = r;
    }

    /** Connected groups of ≥ 2 kept neurons under |R_ij| ≥ τ ({@code neuron.blocks}). */
    public int blocks() {
        return blocks;
    }

    /** Size of the largest such group; 0 when there is none ({@code neuron.block.max.size}). */
    public int maxBlockSize() {
        return maxBlockSize;
    }

    /** Mean |R_ij| over i ≠ j among kept neurons; NaN with fewer than two kept. */
    public double meanAbs() {
        return meanAbs;
    }

    /** Number of kept (non-zero-variance) neurons. */
    public int kept() {
        return keptNeurons.length;
    }

    /** Original indices of the kept neurons, ascending (a copy). */
    public int[] keptNeurons() {
        return keptNeurons.clone();
    }

    /** R at kept positions a, b. */
    public double correlation(int a, int b) {
        int d = keptNeurons.length;
        if (a < 0 || a >= d || b < 0 || b >= d) {
            throw new IndexOutOfBoundsException("position (" + a + ", " + b + ") outside " + d + "×" + d);
        }
        return r[a * d + b];
    }

    /** R, kept×kept row-major (a copy). */
    public double[] correlationMatrix() {
        return r.clone();
    }

    /**
     * Reference heatmap ordering: the leaf order (positions into the kept neurons) of average-linkage
     * (UPGMA) clustering on the distance 1 − |R|, with scipy's conventions (see {@link AverageLinkage}),
     * so members of each block are contiguous. Computed on first call, O(d³) for d ≤ 512 and O(d²) above.
     */
    public int[] order() {
        int[] result = order;
        if (result == null) {
            int d = keptNeurons.length;
            double[] distance = new double[d * d];
            for (int i = 0; i < distance.length; i++) {
                distance[i] = 1.0 - Math.abs(r[i]);
            }
            result = AverageLinkage.of(distance, d).leafOrder();
            order = result; // a benign race at worst computes it twice
        }
        return result.clone();
    }

    /**
     * Average-linkage (UPGMA) agglomerative clustering of d points from a symmetric distance matrix
     * (row-major d×d, diagonal ignored). The distance between clusters is the mean of the pairwise
     * distances, updated by Lance–Williams: d(A∪B, C) = (|A| d(A,C) + |B| d(B,C)) / (|A| + |B|).
     *
     * <p>Output in scipy's linkage format: merge s joins nodes {@code left[s] < right[s]}, where ids below d
     * are points and id d + t is the cluster made by merge t; merges are in non-decreasing height. The leaf
     * order is a depth-first walk from the root visiting the left (smaller id) child first, as scipy's
     * {@code leaves_list}. Heights are clamped to be at least those of the merged children, so round-off in
     * the averages can never put a parent below its child. Ties are broken by scan order and need not match
     * scipy's.
     *
     * <p>Two algorithms, the same dendrogram up to ties: the plain greedy one (scan for the closest pair at
     * every step, O(d³) time) for d ≤ {@value #NAIVE_MAX_POINTS}, and Müllner's nearest-neighbour chain
     * (O(d²) time, one d×d matrix of memory; exact for reducible linkages such as UPGMA) above.
     */
    public static final class AverageLinkage {

        static final int NAIVE_MAX_POINTS = 512;

        final int[] left;
        final int[] right;
        final double[] height;
        private final int points;

        private AverageLinkage(int points, int[] left, int[] right, double[] height) {
            this.points = points;
            this.left = left;
            this.right = right;
            this.height = height;
        }

        static AverageLinkage of(double[] distance, int d) {
            return d <= NAIVE_MAX_POINTS ? greedy(distance, d) : nearestNeighbourChain(distance, d);
        }

        /** Plain UPGMA: repeatedly merge the closest pair of active clusters. */
        static AverageLinkage greedy(double[] distance, int d) {
            checkSquare(distance, d);
            double[] dist = distance.clone();
            int merges = Math.max(0, d - 1);
            int[] left = new int[merges];
            int[] right = new int[merges];
            double[] height = new double[merges];
            int[] node = new int[d];
            int[] size = new int[d];
            double[] formedAt = new double[d];
            boolean[] active = new boolean[d];
            for (int i = 0; i < d; i++) {
                node[i] = i;
                size[i] = 1;
                active[i] = true;
            }
            for (int t = 0; t < merges; t++) {
                int bestA = -1;
                int bestB = -1;
                double best = Double.POSITIVE_INFINITY;
                for (int a = 0; a < d; a++) {
                    if (!active[a]) {
                        continue;
                    }
                    for (int b = a + 1; b < d; b++) {
                        if (active[b] && (bestA < 0 || dist[a * d + b] < best)) {
                            best = dist[a * d + b];
                            bestA = a;
                            bestB = b;
                        }
                    }
                }
                double h = Math.max(best, Math.max(formedAt[bestA], formedAt[bestB]));
                left[t] = Math.min(node[bestA], node[bestB]);
                right[t] = Math.max(node[bestA], node[bestB]);
                height[t] = h;
                mergeInto(dist, d, active, size, bestA, bestB);
                node[bestA] = d + t;
                formedAt[bestA] = h;
            }
            return new AverageLinkage(d, left, right, height);
        }

        /**
         * Nearest-neighbour chain: follow nearest neighbours until two clusters are each other's nearest
         * (reciprocal pair), merge them, continue from the rest of the chain. Merges come out of height
         * order; they are sorted (stably) and relabelled to scipy ids afterwards.
         */
        static AverageLinkage nearestNeighbourChain(double[] distance, int d) {
            checkSquare(distance, d);
            double[] dist = distance.clone();
            int merges = Math.max(0, d - 1);
            int[] slotA = new int[merges];
            int[] slotB = new int[merges];
            double[] mergeHeight = new double[merges];
            int[] size = new int[d];
            double[] formedAt = new double[d];
            boolean[] active = new boolean[d];
            Arrays.fill(size, 1);
            Arrays.fill(active, true);
            int[] chain = new int[d];
            int length = 0;
            for (int t = 0; t < merges; t++) {
                if (length == 0) {
                    int first = 0;
                    while (!active[first]) {
                        first++;
                    }
                    chain[length++] = first;
                }
                int a;
                int b;
                while (true) {
                    a = chain[length - 1];
                    // Start from the previous chain element and replace it only if strictly closer:
                    // this tie rule is what guarantees the chain ends in a reciprocal pair.
                    int previous = length >= 2 ? chain[length - 2] : -1;
                    int nearest = previous;
                    double nearestDistance = previous >= 0 ? dist[a * d + previous] : Double.POSITIVE_INFINITY;
                    for (int c = 0; c < d; c++) {
                        if (c != a && active[c] && (nearest < 0 || dist[a * d + c] < nearestDistance)) {
                            nearest = c;
                            nearestDistance = dist[a * d + c];
                        }
                    }
                    if (nearest == previous) {
                        b = previous;
                        break;
                    }
                    chain[length++] = nearest;
                }
                length -= 2;
                int keep = Math.min(a, b);
                int gone = Math.max(a, b);
                double h = Math.max(dist[a * d + b], Math.max(formedAt[a], formedAt[b]));
                slotA[t] = keep;
                slotB[t] = gone;
                mergeHeight[t] = h;
                mergeInto(dist, d, active, size, keep, gone);
                formedAt[keep] = h;
            }
            return relabel(d, slotA, slotB, mergeHeight);
        }

        /** Sorts merges by height (stable, so a child formed at the same height stays first) and names nodes. */
        private static AverageLinkage relabel(int d, int[] slotA, int[] slotB, double[] mergeHeight) {
            int merges = mergeHeight.length;
            Integer[] byHeight = new Integer[merges];
            for (int t = 0; t < merges; t++) {
                byHeight[t] = t;
            }
            Arrays.sort(byHeight, (x, y) -> Double.compare(mergeHeight[x], mergeHeight[y]));
            int[] parent = new int[d];
            int[] node = new int[d]; // node id of the cluster whose union-find root is this slot
            for (int i = 0; i < d; i++) {
                parent[i] = i;
                node[i] = i;
            }
            int[] left = new int[merges];
            int[] right = new int[merges];
            double[] height = new double[merges];
            for (int s = 0; s < merges; s++) {
                int t = byHeight[s];
                int ra = find(parent, slotA[t]);
                int rb = find(parent, slotB[t]);
                left[s] = Math.min(node[ra], node[rb]);
                right[s] = Math.max(node[ra], node[rb]);
                height[s] = mergeHeight[t];
                parent[rb] = ra;
                node[ra] = d + s;
            }
            return new AverageLinkage(d, left, right, height);
        }

        /** Merges cluster {@code gone} into slot {@code keep} with the Lance–Williams update for UPGMA. */
        private static void mergeInto(double[] dist, int d, boolean[] active, int[] size, int keep, int gone) {
            double wk = size[keep];
            double wg = size[gone];
            double total = wk + wg;
            for (int c = 0; c < d; c++) {
                if (active[c] && c != keep && c != gone) {
                    double merged = (wk * dist[keep * d + c] + wg * dist[gone * d + c]) / total;
                    dist[keep * d + c] = merged;
                    dist[c * d + keep] = merged;
                }
            }
            size[keep] += size[gone];
            active[gone] = false;
        }

        private static int find(int[] parent, int a) {
            while (parent[a] != a) {
                parent[a] = parent[parent[a]];
                a = parent[a];
            }
            return a;
        }

        /** Leaves left to right: depth-first from the root, smaller-id child first. */
        int[] leafOrder() {
            int[] out = new int[points];
            if (points == 0) {
                return out;
            }
            int[] stack = new int[2 * points];
            int top = 0;
            stack[top++] = 2 * points - 2; // the root (the single point when points == 1)
            int written = 0;
            while (top > 0) {
                int id = stack[--top];
                if (id < points) {
                    out[written++] = id;
                } else {
                    int t = id - points;
                    stack[top++] = right[t];
                    stack[top++] = left[t];
                }
            }
            return out;
        }

        private static void checkSquare(double[] distance, int d) {
            if (d < 0 || distance.length != (long) d * d) {
                throw new IllegalArgumentException("distance length " + distance.length + " != d*d, d = " + d);
            }
        }
    }
}
