package dev.noether.examples.gallery;

/** A named line or point set of a chart: x and y of equal length. */
record Series(String name, double[] x, double[] y) {
    Series {
        if (x.length != y.length) {
            throw new IllegalArgumentException(name + ": " + x.length + " x values but " + y.length + " y values");
        }
    }

    int size() {
        return x.length;
    }

    double first() {
        return y[0];
    }

    double last() {
        return y[y.length - 1];
    }

    /** The points with x in [from, to]. */
    Series between(double from, double to) {
        int n = 0;
        for (double v : x) {
            n += v >= from && v <= to ? 1 : 0;
        }
        double[] xs = new double[n];
        double[] ys = new double[n];
        for (int i = 0, k = 0; i < x.length; i++) {
            if (x[i] >= from && x[i] <= to) {
                xs[k] = x[i];
                ys[k++] = y[i];
            }
        }
        return new Series(name, xs, ys);
    }

    Series named(String other) {
        return new Series(other, x, y);
    }
}
