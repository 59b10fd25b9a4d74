package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link DoubleRotation} against a toy multi-head self-attention written out here with plain loops (softmax over
 * tokens, per-head scores, concatenated head outputs, output projection, squared loss), its gradients taken by
 * central finite differences: the Noether identities, the conserved charge and its exact SGD step are physical
 * facts of that function, not of the class under test.
 */
class DoubleRotationTest {
    private static final int TOKENS = 5;
    private static final int IN = 3;
    private static final int HEADS = 2;
    private static final int HEAD = 2;
    private static final int D = HEADS * HEAD;
    private static final int OUT = 3;

    /** W_Q, W_K, W_V (D × IN) with biases, W_O (OUT × D) with bias, and the data. */
    private static final class Toy {
        final double[][] wq = new double[D][IN + 1];
        final double[][] wk = new double[D][IN + 1];
        final double[][] wv = new double[D][IN + 1];
        final double[][] wo = new double[OUT][D + 1];
        final double[][] x = new double[TOKENS][IN];
        final double[][] y = new double[TOKENS][OUT];

        Toy(long seed) {
            Random r = new Random(seed);
            for (double[][] m : new double[][][] {wq, wk, wv, wo, x, y}) {
                for (double[] row : m) {
                    for (int c = 0; c < row.length; c++) {
                        row[c] = r.nextGaussian() * 0.7;
                    }
                }
            }
        }

        double[][][] params() {
            return new double[][][] {wq, wk, wv, wo};
        }

        double loss() {
            double[][] q = project(wq);
            double[][] k = project(wk);
            double[][] v = project(wv);
            double[][] mixed = new double[TOKENS][D];
            for (int h = 0; h < HEADS; h++) {
                for (int t = 0; t < TOKENS; t++) {
                    double[] a = new double[TOKENS];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s < TOKENS; s++) {
                        double dot = 0;
                        for (int i = 0; i < HEAD; i++) {
                            dot += q[t][h * HEAD + i] * k[s][h * HEAD + i];
                        }
                        a[s] = dot / Math.sqrt(HEAD);
                        max = Math.max(max, a[s]);
                    }
                    double z = 0;
                    for (int s = 0; s < TOKENS; s++) {
                        a[s] = Math.exp(a[s] - max);
                        z += a[s];
                    }
                    for (int s = 0; s < TOKENS; s++) {
                        for (int i = 0; i < HEAD; i++) {
                            mixed[t][h * HEAD + i] += a[s] / z * v[s][h * HEAD + i];
                        }
                    }
                }
            }
            double loss = 0;
            for (int t = 0; t < TOKENS; t++) {
                for (int o = 0; o < OUT; o++) {
                    double out = wo[o][D];
                    for (int c = 0; c < D; c++) {
                        out += wo[o][c] * mixed[t][c];
                    }
                    loss += 0.5 * (out - y[t][o]) * (out - y[t][o]);
                }
            }
            return loss / TOKENS;
        }

        private double[][] project(double[][] w) {
            double[][] out = new double[TOKENS][D];
            for (int t = 0; t < TOKENS; t++) {
                for (int i = 0; i < D; i++) {
                    double s = w[i][IN];
                    for (int c = 0; c < IN; c++) {
                        s += w[i][c] * x[t][c];
                    }
                    out[t][i] = s;
                }
            }
            return out;
        }

        /** ∂ℓ/∂θ of every parameter by central differences. */
        double[][][] gradients() {
            double[][][] p = params();
            double[][][] g = new double[p.length][][];
            double h = 1e-5;
            for (int m = 0; m < p.length; m++) {
                g[m] = new double[p[m].length][p[m][0].length];
                for (int i = 0; i < p[m].length; i++) {
                    for (int c = 0; c < p[m][i].length; c++) {
                        double keep = p[m][i][c];
                        p[m][i][c] = keep + h;
                        double up = loss();
                        p[m][i][c] = keep - h;
                        double down = loss();
                        p[m][i][c] = keep;
                        g[m][i][c] = (up - down) / (2 * h);
                    }
                }
            }
            return g;
        }
    }

    /** The columns of O's weight (bias column left out) as rows: W_Oᵀ. */
    private static double[][] outputColumns(double[][] wo) {
        double[][] t = new double[D][OUT];
        for (int o = 0; o < OUT; o++) {
            for (int c = 0; c < D; c++) {
                t[c][o] = wo[o][c];
            }
        }
        return t;
    }

    /** C = X₁X₁ᵀ − X₂X₂ᵀ as a full D × D matrix with the entries between different heads zeroed. */
    private static double[][] referenceCharge(double[][] x1, double[][] x2, int head) {
        double[][] c = new double[D][D];
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < D; j++) {
                if (i / head != j / head) {
                    continue;
                }
                for (int k = 0; k < x1[i].length; k++) {
                    c[i][j] += x1[i][k] * x1[j][k];
                }
                for (int k = 0; k < x2[i].length; k++) {
                    c[i][j] -= x2[i][k] * x2[j][k];
                }
            }
        }
        return c;
    }

    private static double block(double[] blocks, int i, int j, int head) {
        return blocks[((i / head) * head + i % head) * head + j % head];
    }

    @Test
    void chargeIsTheHeadBlocksOfTheGramDifference() {
        Toy toy = new Toy(1);
        double[] c = DoubleRotation.charge(toy.wq, toy.wk, HEAD);
        double[][] ref = referenceCharge(toy.wq, toy.wk, HEAD);
        assertThat(c).hasSize(HEADS * HEAD * HEAD);
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < D; j++) {
                if (i / HEAD == j / HEAD) {
                    assertThat(block(c, i, j, HEAD)).isCloseTo(ref[i][j], org.assertj.core.api.Assertions.offset(1e-12));
                }
            }
        }
    }

    @Test
    void identitiesHoldForTheTrueHeadsAndFailForAWrongHeadSize() {
        Toy toy = new Toy(2);
        double[][][] g = toy.gradients();
        double qk = DoubleRotation.violation(toy.wq, g[0], toy.wk, g[1], HEAD);
        double vo = DoubleRotation.violation(toy.wv, g[2], outputColumns(toy.wo), outputColumns(g[3]), HEAD);
        assertThat(qk).isLessThan(1e-7);
        assertThat(vo).isLessThan(1e-7);
        // told one head of size 4 where there are two of size 2: the cross-head blocks break the identity
        assertThat(DoubleRotation.violation(toy.wq, g[0], toy.wk, g[1], D)).isGreaterThan(0.05);
        assertThat(DoubleRotation.violation(toy.wv, g[2], outputColumns(toy.wo), outputColumns(g[3]), D))
                .isGreaterThan(0.05);
    }

    @Test
    void oneSgdStepWithL2MovesTheChargeExactlyAsPredicted() {
        Toy toy = new Toy(3);
        double eta = 0.05;
        double gammaW = 0.01;
        double gammaB = 0.003; // a bias decay of its own, as DL4J's l2Bias allows
        double[][][] g = toy.gradients();
        double[] decayRows = new double[IN + 1];
        java.util.Arrays.fill(decayRows, gammaW);
        decayRows[IN] = gammaB;
        double[] decayCols = new double[OUT];
        java.util.Arrays.fill(decayCols, gammaW);
        double[] predictedQk = DoubleRotation.predictNext(toy.wq, g[0], decayRows, toy.wk, g[1], decayRows, eta, HEAD);
        double[] predictedVo = DoubleRotation.predictNext(toy.wv, g[2], decayRows, outputColumns(toy.wo),
                outputColumns(g[3]), decayCols, eta, HEAD);
        double[] before = DoubleRotation.charge(toy.wq, toy.wk, HEAD);
        // the step, θ ← θ − η(ĝ + γθ), on every parameter (O's bias too; it is not part of the V/O charge)
        double[][][] p = toy.params();
        for (int m = 0; m < p.length; m++) {
            for (int i = 0; i < p[m].length; i++) {
                int last = p[m][i].length - 1;
                for (int c = 0; c < p[m][i].length; c++) {
                    double gamma = c == last ? gammaB : gammaW;
                    p[m][i][c] -= eta * (g[m][i][c] + gamma * p[m][i][c]);
                }
            }
        }
        double[][] afterQk = referenceCharge(toy.wq, toy.wk, HEAD);
        double[][] afterVo = referenceCharge(toy.wv, outputColumns(toy.wo), HEAD);
        double scale = DoubleRotation.squaredNorm(toy.wq) + DoubleRotation.squaredNorm(toy.wk);
        double moved = 0;
        for (int i = 0; i < D; i++) {
            for (int j = 0; j < D; j++) {
                if (i / HEAD == j / HEAD) {
                    assertThat(Math.abs(block(predictedQk, i, j, HEAD) - afterQk[i][j]) / scale).isLessThan(1e-9);
                    assertThat(Math.abs(block(predictedVo, i, j, HEAD) - afterVo[i][j]) / scale).isLessThan(1e-9);
                    moved = Math.max(moved, Math.abs(block(before, i, j, HEAD) - afterQk[i][j]) / scale);
                }
            }
        }
        assertThat(moved).as("the step moves the charge by far more than the residual").isGreaterThan(1e-5);
    }

    @Test
    void uniformDecayReducesToTheSpecsClosedForm() {
        Toy toy = new Toy(4);
        double eta = 0.1;
        double gamma = 0.02;
        double[][][] g = toy.gradients();
        double[] decay = new double[IN + 1];
        java.util.Arrays.fill(decay, gamma);
        double[] predicted = DoubleRotation.predictNext(toy.wq, g[0], decay, toy.wk, g[1], decay, eta, HEAD);
        double[] c = DoubleRotation.charge(toy.wq, toy.wk, HEAD);
        double[] noise = DoubleRotation.charge(g[0], g[1], HEAD);
        for (int i = 0; i < c.length; i++) {
            double closed = (1 - eta * gamma) * (1 - eta * gamma) * c[i] + eta * eta * noise[i];
            assertThat(predicted[i]).isCloseTo(closed, org.assertj.core.api.Assertions.offset(1e-8));
        }
    }

    @Test
    void aHeadSizeThatDoesNotDivideTheRowsIsRefused() {
        Toy toy = new Toy(5);
        assertThatThrownBy(() -> DoubleRotation.charge(toy.wq, toy.wk, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("head size 3");
    }
}
