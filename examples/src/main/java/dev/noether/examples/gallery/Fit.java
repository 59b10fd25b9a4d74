package dev.noether.examples.gallery;

/** Least-squares line y = a + b·x through a series, for the decay rates the figures compare with theory. */
record Fit(double intercept, double slope) {
    static Fit of(double[] x, double[] y) {
        int n = x.length;
        if (n < 2) {
            return new Fit(Double.NaN, Double.NaN);
        }
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double b = sxy / sxx;
        return new Fit(my - b * mx, b);
    }

    /** The fit of ln|y| against x: its slope is the per-step log rate of an exponential decay. */
    static Fit logAbs(Series s) {
        double[] ly = new double[s.size()];
        for (int i = 0; i < ly.length; i++) {
            ly[i] = Math.log(Math.abs(s.y()[i]));
        }
        return of(s.x(), ly);
    }
}
