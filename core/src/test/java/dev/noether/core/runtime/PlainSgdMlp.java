package dev.noether.core.runtime;

import dev.noether.core.model.Activation;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;

import java.util.Random;

/**
 * A minimal multi-layer perceptron trained by plain SGD, written out by hand for the tests: explicit
 * forward pass, explicit backpropagation of ℓ = ½‖ŷ − y‖² averaged over the batch, and the update
 * θ ← θ − η(ĝ + γθ). Parameters are float (as in the engines); sums are double.
 */
final class PlainSgdMlp {
    enum Act { RELU, TANH, IDENTITY }

    final int[] widths;         // widths[0] = inputs, widths[L] = outputs
    final float[][] w;          // w[l]: widths[l+1] × widths[l]
    final float[][] b;          // null entries when no bias
    final Act act;
    final double eta;
    final double gamma;
    /** γ_b: the bias decay, separate as in DL4J (l2Bias); equal to γ unless a test sets it. */
    double gammaBias;

    float[][] gw;
    float[][] gb;

    PlainSgdMlp(int[] widths, boolean bias, Act act, double eta, double gamma, long seed) {
        this.widths = widths;
        this.act = act;
        this.eta = eta;
        this.gamma = gamma;
        this.gammaBias = gamma;
        int layers = widths.length - 1;
        w = new float[layers][];
        b = new float[layers][];
        Random r = new Random(seed);
        for (int l = 0; l < layers; l++) {
            int m = widths[l + 1];
            int n = widths[l];
            w[l] = new float[m * n];
            for (int i = 0; i < w[l].length; i++) {
                w[l][i] = (float) (r.nextGaussian() / Math.sqrt(n));
            }
            if (bias) {
                b[l] = new float[m];
                for (int i = 0; i < m; i++) {
                    b[l][i] = (float) (0.1 * r.nextGaussian());
                }
            }
        }
    }

    int layers() {
        return widths.length - 1;
    }

    NetworkDescription describe(String model, Activation described) {
        NetworkDescription.Builder d = NetworkDescription.builder(model);
        for (int l = 0; l < layers(); l++) {
            d.dense("fc" + (l + 1), widths[l + 1], widths[l], b[l] != null);
            if (l + 1 < layers()) {
                d.activation(described);
            }
        }
        return d.build();
    }

    private double sigma(double z) {
        return switch (act) {
            case RELU -> Math.max(0, z);
            case TANH -> Math.tanh(z);
            case IDENTITY -> z;
        };
    }

    private double sigmaPrime(double z, double a) {
        return switch (act) {
            case RELU -> z > 0 ? 1 : 0;
            case TANH -> 1 - a * a;
            case IDENTITY -> 1;
        };
    }

    /** Computes the batch-mean loss gradients into gw, gb; returns the loss. x: B × n0, y: B × nL. */
    double backward(double[][] x, double[][] y) {
        int layers = layers();
        int batch = x.length;
        gw = new float[layers][];
        gb = new float[layers][];
        double[][] accW = new double[layers][];
        double[][] accB = new double[layers][];
        for (int l = 0; l < layers; l++) {
            accW[l] = new double[w[l].length];
            accB[l] = new double[widths[l + 1]];
        }
        double loss = 0;
        for (int s = 0; s < batch; s++) {
            double[][] a = new double[layers + 1][];
            double[][] z = new double[layers + 1][];
            a[0] = x[s];
            for (int l = 0; l < layers; l++) {
                int m = widths[l + 1];
                int n = widths[l];
                z[l + 1] = new double[m];
                a[l + 1] = new double[m];
                for (int i = 0; i < m; i++) {
                    double v = b[l] == null ? 0 : b[l][i];
                    for (int j = 0; j < n; j++) {
                        v += w[l][i * n + j] * a[l][j];
                    }
                    z[l + 1][i] = v;
                    a[l + 1][i] = l + 1 == layers ? v : sigma(v);
                }
            }
            double[] delta = new double[widths[layers]];
            for (int i = 0; i < delta.length; i++) {
                double e = a[layers][i] - y[s][i];
                loss += 0.5 * e * e / batch;
                delta[i] = e / batch;
            }
            for (int l = layers - 1; l >= 0; l--) {
                int m = widths[l + 1];
                int n = widths[l];
                double[] prev = new double[n];
                for (int i = 0; i < m; i++) {
                    accB[l][i] += delta[i];
                    for (int j = 0; j < n; j++) {
                        accW[l][i * n + j] += delta[i] * a[l][j];
                        prev[j] += w[l][i * n + j] * delta[i];
                    }
                }
                if (l > 0) {
                    for (int j = 0; j < n; j++) {
                        prev[j] *= sigmaPrime(z[l][j], a[l][j]);
                    }
                }
                delta = prev;
            }
        }
        for (int l = 0; l < layers; l++) {
            gw[l] = toFloat(accW[l]);
            gb[l] = b[l] == null ? null : toFloat(accB[l]);
        }
        return loss;
    }

    /** θ ← θ − η(ĝ + γθ), in float like an engine. */
    void update() {
        for (int l = 0; l < layers(); l++) {
            for (int i = 0; i < w[l].length; i++) {
                w[l][i] = (float) (w[l][i] - eta * (gw[l][i] + gamma * w[l][i]));
            }
            if (b[l] != null) {
                for (int i = 0; i < b[l].length; i++) {
                    b[l][i] = (float) (b[l][i] - eta * (gb[l][i] + gammaBias * b[l][i]));
                }
            }
        }
    }

    /** A snapshot of θ(t) and ĝ(t) (fresh copies, as an adapter hands over). */
    StepSnapshot snapshot(long step, double loss, OptimizerSettings optimizer) {
        StepSnapshot.Builder s = StepSnapshot.builder(step).loss(loss).optimizer(optimizer);
        for (int l = 0; l < layers(); l++) {
            s.layer(LayerSnapshot.of(w[l].clone(), b[l] == null ? null : b[l].clone(), gw[l].clone(),
                    gb[l] == null ? null : gb[l].clone()));
        }
        return s.build();
    }

    OptimizerSettings sgd() {
        return OptimizerSettings.plainSgd(eta, gamma, gammaBias);
    }

    /** Q = ‖W_l‖² + ‖b_l‖² − ‖W_{l+1}‖², by explicit sums. */
    double charge(int l) {
        double q = 0;
        for (float v : w[l]) {
            q += (double) v * v;
        }
        if (b[l] != null) {
            for (float v : b[l]) {
                q += (double) v * v;
            }
        }
        for (float v : w[l + 1]) {
            q -= (double) v * v;
        }
        return q;
    }

    /** A teacher-student regression set: y = tanh(T x) for a random teacher T. */
    static double[][][] teacherData(int samples, int in, int out, long seed) {
        Random r = new Random(seed);
        double[][] t = new double[out][in];
        for (double[] row : t) {
            for (int j = 0; j < in; j++) {
                row[j] = r.nextGaussian() / Math.sqrt(in);
            }
        }
        double[][] x = new double[samples][in];
        double[][] y = new double[samples][out];
        for (int s = 0; s < samples; s++) {
            for (int j = 0; j < in; j++) {
                x[s][j] = r.nextGaussian();
            }
            for (int i = 0; i < out; i++) {
                double v = 0;
                for (int j = 0; j < in; j++) {
                    v += t[i][j] * x[s][j];
                }
                y[s][i] = Math.tanh(v);
            }
        }
        return new double[][][] {x, y};
    }

    static double[][] rows(double[][] a, int from, int count) {
        double[][] out = new double[count][];
        for (int i = 0; i < count; i++) {
            out[i] = a[(from + i) % a.length];
        }
        return out;
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
