package dev.noether.dl4j;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Random;

/** Labelled images made up on the spot (no download): one smooth random template per class, plus noise. */
final class GeneratedImages {
    private GeneratedImages() {}

    /**
     * {@code samples} images of {@code channels} × {@code size} × {@code size}, labels one-hot over
     * {@code classes}; {@code flat} gives rows of channels·size·size (for {@code InputType.convolutionalFlat}).
     */
    static DataSet of(int samples, int channels, int size, int classes, long seed, boolean flat) {
        Random r = new Random(seed);
        double[][][][] templates = new double[classes][channels][size][size];
        for (int k = 0; k < classes; k++) {
            double fx = 1 + r.nextInt(3);
            double fy = 1 + r.nextInt(3);
            double phase = r.nextDouble() * Math.PI;
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        templates[k][c][y][x] = Math.sin(Math.PI * (fx * x + fy * y) / size + phase + c);
                    }
                }
            }
        }
        double[][][][] images = new double[samples][channels][size][size];
        double[][] labels = new double[samples][classes];
        for (int s = 0; s < samples; s++) {
            int k = r.nextInt(classes);
            labels[s][k] = 1;
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        images[s][c][y][x] = templates[k][c][y][x] + 0.5 * r.nextGaussian();
                    }
                }
            }
        }
        INDArray features = Nd4j.createFromArray(images).castTo(Nd4j.defaultFloatingPointType());
        if (flat) {
            features = features.reshape('c', samples, (long) channels * size * size);
        }
        return new DataSet(features, Nd4j.createFromArray(labels).castTo(Nd4j.defaultFloatingPointType()));
    }

    /** Minibatch {@code t} of {@code count} rows, cycling through {@code all} (whose size {@code count} divides). */
    static DataSet batch(DataSet all, int t, int count) {
        int start = (t * count) % all.numExamples();
        return new DataSet(rows(all.getFeatures(), start, count), rows(all.getLabels(), start, count));
    }

    private static INDArray rows(INDArray a, int start, int count) {
        INDArrayIndex[] index = new INDArrayIndex[a.rank()];
        index[0] = NDArrayIndex.interval(start, start + count);
        for (int d = 1; d < index.length; d++) {
            index[d] = NDArrayIndex.all();
        }
        return a.get(index).dup();
    }
}
