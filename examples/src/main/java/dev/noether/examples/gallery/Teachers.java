package dev.noether.examples.gallery;

import java.util.Random;

/** The generated tasks of the gallery's figures (no downloads): teachers with and without label noise. */
final class Teachers {
    private Teachers() {}

    /** x ~ N(0, I), y = tanh(T x) with T ~ N(0, 1/inputs): a smooth nonlinear teacher without noise. */
    static Samples tanh(int samples, int inputs, int outputs, long seed) {
        return tanh(samples, inputs, constant(outputs, 1), seed);
    }

    /** x ~ N(0, I), y_i = scales[i] · tanh(T_i x): outputs of unequal size, so their second moments have structure. */
    static Samples tanh(int samples, int inputs, double[] scales, long seed) {
        int outputs = scales.length;
        Random r = new Random(seed);
        double[][] t = gaussian(r, outputs, inputs, 1 / Math.sqrt(inputs));
        float[] x = new float[samples * inputs];
        float[] y = new float[samples * outputs];
        for (int s = 0; s < samples; s++) {
            for (int j = 0; j < inputs; j++) {
                x[s * inputs + j] = (float) r.nextGaussian();
            }
            for (int i = 0; i < outputs; i++) {
                double v = 0;
                for (int j = 0; j < inputs; j++) {
                    v += t[i][j] * x[s * inputs + j];
                }
                y[s * outputs + i] = (float) (scales[i] * Math.tanh(v));
            }
        }
        return new Samples(samples, inputs, outputs, x, y);
    }

    /**
     * y = A x + ε: x ~ N(0, diag(inputScales²)), A ~ N(0, teacher²), ε ~ N(0, diag(noiseScales²)) per output. Label
     * noise keeps SGD's gradient noise large at every step.
     */
    static Samples noisyLinear(int samples, double[] inputScales, double teacher, double[] noiseScales, long seed) {
        int inputs = inputScales.length;
        int outputs = noiseScales.length;
        Random r = new Random(seed);
        double[][] a = gaussian(r, outputs, inputs, teacher);
        float[] x = new float[samples * inputs];
        float[] y = new float[samples * outputs];
        for (int s = 0; s < samples; s++) {
            for (int j = 0; j < inputs; j++) {
                x[s * inputs + j] = (float) (inputScales[j] * r.nextGaussian());
            }
            for (int i = 0; i < outputs; i++) {
                double v = noiseScales[i] * r.nextGaussian();
                for (int j = 0; j < inputs; j++) {
                    v += a[i][j] * x[s * inputs + j];
                }
                y[s * outputs + i] = (float) v;
            }
        }
        return new Samples(samples, inputs, outputs, x, y);
    }

    static double[] constant(int n, double value) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    private static double[][] gaussian(Random r, int rows, int cols, double scale) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int j = 0; j < cols; j++) {
                row[j] = scale * r.nextGaussian();
            }
        }
        return a;
    }
}
