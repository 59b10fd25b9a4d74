package dev.noether.core.model;

import java.util.Arrays;

/**
 * The per-neuron sums the every-step tier needs from one linear layer (METRICS.md §2, §6), reduced by the
 * engine on the device the model lives on, so that only O(neurons) numbers cross to the heap. W is read as
 * core's m × n matrix (outputs × inputs; a convolution's C_out × C_in·∏k). Gradients are those of the
 * minibatch-mean loss, as in {@link LayerSnapshot}. The sums are accumulated in double; a non-finite sum
 * means a non-finite input (the square of a float cannot overflow a double).
 *
 * <p>The record takes ownership of the arrays (no copy). Gradient sums are all null when gradients are not
 * at hand, bias sums are null when the layer has no bias.
 *
 * @param rowSq        ‖w_i‖², length m
 * @param rowGradSq    ‖ĝ_{w_i}‖², length m, or null
 * @param rowDot       w_i·ĝ_{w_i}, length m, or null
 * @param biasSq       b_i², length m, or null
 * @param biasGradSq   (∂ℓ/∂b_i)², length m, or null
 * @param biasDot      b_i·∂ℓ/∂b_i, length m, or null
 * @param colSq        ‖u_j‖² of column j, length n
 * @param colGradSq    ‖ĝ_{u_j}‖², length n, or null
 * @param colDot       u_j·ĝ_{u_j}, length n, or null
 * @param deltaSquared ‖W(t) − W(t−1)‖² against the engine's copy of the previous step's W, NaN when the
 *                     adapter has no copy of step t−1
 */
public record LayerReductions(double[] rowSq, double[] rowGradSq, double[] rowDot,
                              double[] biasSq, double[] biasGradSq, double[] biasDot,
                              double[] colSq, double[] colGradSq, double[] colDot,
                              double deltaSquared) {

    /** Checks that the sums are present together: all gradient sums or none, all bias sums or none. */
    public LayerReductions {
        if (rowSq == null || colSq == null) {
            throw new IllegalArgumentException("rowSq and colSq are required");
        }
        boolean grads = rowGradSq != null;
        if ((rowDot != null) != grads || (colGradSq != null) != grads || (colDot != null) != grads) {
            throw new IllegalArgumentException("the gradient sums come all together or not at all");
        }
        if (biasSq == null && (biasGradSq != null || biasDot != null)
                || biasSq != null && ((biasGradSq != null) != grads || (biasDot != null) != grads)) {
            throw new IllegalArgumentException("the bias sums come with b, and with the gradient sums");
        }
    }

    /**
     * Reads the sums from one flat array, as an engine hands them over in a single copy: rowSq, then (with
     * gradients) rowGradSq and rowDot; then (with a bias) biasSq and, with gradients, biasGradSq and biasDot;
     * then colSq, colGradSq, colDot; last, when {@code withDelta}, ‖ΔW‖². Each row block has length m, each
     * column block length n.
     *
     * @throws IllegalArgumentException when {@code flat} is not exactly that long
     */
    public static LayerReductions unpack(double[] flat, int m, int n, boolean bias, boolean gradients,
                                         boolean withDelta) {
        int rowBlocks = (gradients ? 3 : 1) + (bias ? (gradients ? 3 : 1) : 0);
        long expected = (long) rowBlocks * m + (long) (gradients ? 3 : 1) * n + (withDelta ? 1 : 0);
        if (flat.length != expected) {
            throw new IllegalArgumentException("expected " + expected + " sums for a " + m + "x" + n + " layer"
                    + (bias ? " with bias" : "") + (gradients ? " and gradients" : "") + ", got " + flat.length);
        }
        int[] at = {0};
        double[] rowSq = block(flat, at, m);
        double[] rowGradSq = gradients ? block(flat, at, m) : null;
        double[] rowDot = gradients ? block(flat, at, m) : null;
        double[] biasSq = bias ? block(flat, at, m) : null;
        double[] biasGradSq = bias && gradients ? block(flat, at, m) : null;
        double[] biasDot = bias && gradients ? block(flat, at, m) : null;
        double[] colSq = block(flat, at, n);
        double[] colGradSq = gradients ? block(flat, at, n) : null;
        double[] colDot = gradients ? block(flat, at, n) : null;
        double delta = withDelta ? flat[at[0]] : Double.NaN;
        return new LayerReductions(rowSq, rowGradSq, rowDot, biasSq, biasGradSq, biasDot, colSq, colGradSq,
                colDot, delta);
    }

    private static double[] block(double[] flat, int[] at, int length) {
        double[] out = Arrays.copyOfRange(flat, at[0], at[0] + length);
        at[0] += length;
        return out;
    }

    /** m, the output neurons. */
    public int rows() {
        return rowSq.length;
    }

    /** n, the inputs (columns). */
    public int cols() {
        return colSq.length;
    }

    public boolean hasGradients() {
        return rowGradSq != null;
    }

    public boolean hasBias() {
        return biasSq != null;
    }

    /** The same parameter sums without the gradient sums (for a state whose gradients do not belong to it). */
    public LayerReductions withoutGradients() {
        return new LayerReductions(rowSq, null, null, biasSq, null, null, colSq, null, null, deltaSquared);
    }

    /** Throws when the sums do not fit the layer's shape; the message names the layer and the shapes. */
    void checkShape(DenseLayer layer) {
        check(layer, "rows", rowSq.length, layer.outputs());
        check(layer, "columns", colSq.length, layer.inputs());
        for (double[] a : new double[][] {rowGradSq, rowDot, biasSq, biasGradSq, biasDot}) {
            if (a != null) {
                check(layer, "rows", a.length, layer.outputs());
            }
        }
        for (double[] a : new double[][] {colGradSq, colDot}) {
            if (a != null) {
                check(layer, "columns", a.length, layer.inputs());
            }
        }
    }

    private static void check(DenseLayer layer, String what, int actual, int expected) {
        if (actual != expected) {
            throw new IllegalArgumentException("Layer '" + layer.name() + "': reductions have " + actual + " "
                    + what + " but the description says " + expected);
        }
    }
}
