package dev.noether.core.physics;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/**
 * Rough single-threaded timing of the spectrum routes on an m×n Gaussian matrix (default 2048×2048).
 * Not a unit test and not a benchmark harness: a one-shot figure for sizing the analysis tier.
 * Run: {@code java -cp core/target/classes:core/target/test-classes:<ejml jars> dev.noether.core.SpectrumTiming [m [n]]}
 */
final class SpectrumTiming {

    private SpectrumTiming() {
    }

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int n = args.length > 1 ? Integer.parseInt(args[1]) : m;
        int d = Math.min(m, n);
        warmUp();
        DMatrixRMaj w = SpectrumTest.gaussian(m, n, new Random(1));
        long t0 = System.nanoTime();
        double[] gram = Spectrum.singularValuesFromGram(w);
        long t1 = System.nanoTime();
        double[] svd = Spectrum.singularValues(w, Integer.MAX_VALUE);
        long t2 = System.nanoTime();
        double stable = Spectrum.stableRank(w);
        long t3 = System.nanoTime();
        // A trained-looking layer: one dominant direction on top of noise, so Lanczos stops early.
        DMatrixRMaj spiked = w.copy();
        double[] u = unit(m, new Random(3));
        double[] v = unit(n, new Random(4));
        double strength = 3 * Math.sqrt(Math.max(m, n)); // well above the bulk edge sqrt(m) + sqrt(n)
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                spiked.data[i * n + j] += strength * u[i] * v[j];
            }
        }
        long t4 = System.nanoTime();
        double stableSpiked = Spectrum.stableRank(spiked);
        long t5 = System.nanoTime();
        double maxDiff = 0;
        for (int i = 0; i < d; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(gram[i] - svd[i]));
        }
        System.out.printf("%dx%d gram route %.2f s, svd %.2f s, max|diff|/sigma_max %.2e%n",
                m, n, (t1 - t0) / 1e9, (t2 - t1) / 1e9, maxDiff / svd[0]);
        System.out.printf("stableRank gaussian %.2f s (value %.6f, from svd %.6f); spiked %.2f s (value %.6f)%n",
                (t3 - t2) / 1e9, stable, Spectrum.stableRank(svd), (t5 - t4) / 1e9, stableSpiked);
    }

    private static double[] unit(int d, Random random) {
        double[] x = new double[d];
        double norm = 0;
        for (int i = 0; i < d; i++) {
            x[i] = random.nextGaussian();
            norm += x[i] * x[i];
        }
        for (int i = 0; i < d; i++) {
            x[i] /= Math.sqrt(norm);
        }
        return x;
    }

    private static void warmUp() {
        DMatrixRMaj small = SpectrumTest.gaussian(256, 256, new Random(2));
        for (int i = 0; i < 3; i++) {
            Spectrum.singularValuesFromGram(small);
            Spectrum.singularValues(small);
            Spectrum.stableRank(small);
        }
    }
}
