package dev.noether.core.physics;

/**
 * The double-rotation symmetry of multi-head attention (METRICS.md §12), on plain arrays. Each side of a pair is
 * read as a matrix X whose rows are the directions the symmetry mixes (d = heads · d_h rows) and whose columns are
 * the coordinates of one direction: for Q, K and V the rows of W̃ = [W | b] (the bias as a last column), for O the
 * columns of W_O (so X = W_Oᵀ). The loss is invariant under X₁ → M X₁, X₂ → M^{−T} X₂ per head (Q/K), and under
 * X₁ → M X₁, X₂ → M^{−T} X₂ with X₂ = W_Oᵀ (V/O: W_O → W_O M^{−1}), M any invertible d_h × d_h. Hence, with
 * G = ∂ℓ/∂X laid out like X:
 * <ul>
 *   <li>the Noether identity per head: G₁ X₁ᵀ = X₂ G₂ᵀ (Ĝ_Q W̃_Qᵀ = W̃_K Ĝ_Kᵀ; Ĝ_V W̃_Vᵀ = W_Oᵀ Ĝ_O);</li>
 *   <li>the conserved charge per head: C = X₁ X₁ᵀ − X₂ X₂ᵀ (d_h × d_h, symmetric);</li>
 *   <li>plain SGD with coupled L2, decay γ_c per column c: X' = X(I − ηΓ) − ηG, and since the identity cancels
 *       the first-order term exactly, C' = Σ_s s [X(I−ηΓ)²Xᵀ + η²GGᵀ + η²(XΓGᵀ + GΓXᵀ)], s = +1 for X₁, −1 for
 *       X₂. With one γ for every column this is (1 − ηγ)² C + η² (G₁G₁ᵀ − G₂G₂ᵀ).</li>
 * </ul>
 * Matrices over all heads are block diagonal: they are stored as {@code heads} blocks of d_h × d_h, row-major,
 * in one array of length heads · d_h². Pure functions, no state.
 */
public final class DoubleRotation {
    private DoubleRotation() {
    }

    /** The number of heads of a side with {@code rows} directions, or an exception when d_h does not divide it. */
    public static int heads(int rows, int headSize) {
        if (headSize <= 0 || rows % headSize != 0) {
            throw new IllegalArgumentException("head size " + headSize + " does not divide " + rows + " rows");
        }
        return rows / headSize;
    }

    /** Block-diagonal Σ_k A[i][k] B[j][k] for i, j in the same head: the head blocks of A Bᵀ. */
    public static double[] blockProduct(double[][] a, double[][] b, int headSize) {
        int heads = heads(a.length, headSize);
        double[] out = new double[heads * headSize * headSize];
        for (int h = 0; h < heads; h++) {
            int base = h * headSize;
            for (int i = 0; i < headSize; i++) {
                double[] ai = a[base + i];
                for (int j = 0; j < headSize; j++) {
                    double[] bj = b[base + j];
                    double s = 0;
                    for (int k = 0; k < ai.length; k++) {
                        s += ai[k] * bj[k];
                    }
                    out[(h * headSize + i) * headSize + j] = s;
                }
            }
        }
        return out;
    }

    /** C = X₁X₁ᵀ − X₂X₂ᵀ, head blocks. */
    public static double[] charge(double[][] x1, double[][] x2, int headSize) {
        checkRows(x1, x2);
        return subtract(blockProduct(x1, x1, headSize), blockProduct(x2, x2, headSize));
    }

    /**
     * The exact plain-SGD prediction of C(t+1) from θ(t), ĝ(t) (the gradient of the loss before any decay), the
     * learning rate η and each side's coupled L2 per column ({@code decay1[c]}, {@code decay2[c]}).
     */
    public static double[] predictNext(double[][] x1, double[][] g1, double[] decay1, double[][] x2, double[][] g2,
                                       double[] decay2, double eta, int headSize) {
        checkRows(x1, x2);
        double[] p = side(x1, g1, decay1, eta, headSize);
        double[] q = side(x2, g2, decay2, eta, headSize);
        return subtract(p, q);
    }

    /** X(I−ηΓ)²Xᵀ + η²GGᵀ + η²(XΓGᵀ + GΓXᵀ), head blocks. */
    private static double[] side(double[][] x, double[][] g, double[] decay, double eta, int headSize) {
        int cols = x.length == 0 ? 0 : x[0].length;
        double[][] shrunk = new double[x.length][cols];
        double[][] xGamma = new double[x.length][cols];
        for (int i = 0; i < x.length; i++) {
            for (int c = 0; c < cols; c++) {
                double k = 1 - eta * decay[c];
                shrunk[i][c] = x[i][c] * k;
                xGamma[i][c] = x[i][c] * decay[c];
            }
        }
        double eta2 = eta * eta;
        double[] out = blockProduct(shrunk, shrunk, headSize);
        double[] gg = blockProduct(g, g, headSize);
        double[] xg = blockProduct(xGamma, g, headSize); // XΓGᵀ; its transpose is GΓXᵀ
        int d = headSize;
        for (int h = 0; h < out.length / (d * d); h++) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    int at = (h * d + i) * d + j;
                    out[at] += eta2 * (gg[at] + xg[at] + xg[(h * d + j) * d + i]);
                }
            }
        }
        return out;
    }

    /**
     * symmetry.violation = ‖G₁X₁ᵀ − X₂G₂ᵀ‖_F / (‖G₁X₁ᵀ‖_F + ‖X₂G₂ᵀ‖_F) over the head blocks: 0 when the loss has
     * the symmetry with these heads, 0 also when both terms vanish.
     */
    public static double violation(double[][] x1, double[][] g1, double[][] x2, double[][] g2, int headSize) {
        checkRows(x1, x2);
        double[] left = blockProduct(g1, x1, headSize);
        double[] right = blockProduct(x2, g2, headSize);
        double den = frobenius(left) + frobenius(right);
        return den > 0 ? frobenius(subtract(left, right)) / den : 0;
    }

    /** Σ_h tr C_h. */
    public static double trace(double[] blocks, int headSize) {
        double t = 0;
        for (int h = 0; h < blocks.length / (headSize * headSize); h++) {
            for (int i = 0; i < headSize; i++) {
                t += blocks[(h * headSize + i) * headSize + i];
            }
        }
        return t;
    }

    public static double frobenius(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    /** Σ of the squares of every entry of X: its share of the pair's scale S. */
    public static double squaredNorm(double[][] x) {
        double s = 0;
        for (double[] row : x) {
            for (double v : row) {
                s += v * v;
            }
        }
        return s;
    }

    public static double[] subtract(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }

    /**
     * The rows of W̃ = [W | b] of a row-major m × n weight (bias may be null: no last column), times {@code scale}.
     */
    public static double[][] rows(float[] weight, float[] bias, int m, int n, double scale) {
        int cols = n + (bias == null ? 0 : 1);
        double[][] x = new double[m][cols];
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < n; c++) {
                x[i][c] = weight[i * n + c] * scale;
            }
            if (bias != null) {
                x[i][n] = bias[i] * scale;
            }
        }
        return x;
    }

    /** The columns of a row-major m × n weight as rows (Wᵀ, n × m), times {@code scale}. */
    public static double[][] columns(float[] weight, int m, int n, double scale) {
        double[][] x = new double[n][m];
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < n; c++) {
                x[c][i] = weight[i * n + c] * scale;
            }
        }
        return x;
    }

    private static void checkRows(double[][] x1, double[][] x2) {
        if (x1.length != x2.length) {
            throw new IllegalArgumentException("the two sides have " + x1.length + " and " + x2.length + " directions");
        }
    }
}
