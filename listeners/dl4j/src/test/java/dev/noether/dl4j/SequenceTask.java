package dev.noether.dl4j;

import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Random;

/**
 * A generated sequence task for recurrent networks: inputs x_t ~ N(0, 1) of {@code features} channels, target
 * y_t = the running mean of channel 0 up to t and x_{t−1} of channel 1 (a memory and a delay), in DL4J's
 * (batch, channels, time) layout, with a mask that cuts each sequence at a random length ≥ half of {@code steps}.
 */
final class SequenceTask {
    private SequenceTask() {}

    static DataSet data(int sequences, int features, int steps, long seed) {
        Random r = new Random(seed);
        float[] x = new float[sequences * features * steps];
        float[] y = new float[sequences * 2 * steps];
        float[] mask = new float[sequences * steps];
        for (int s = 0; s < sequences; s++) {
            int length = steps / 2 + r.nextInt(steps - steps / 2 + 1);
            double sum = 0;
            for (int t = 0; t < steps; t++) {
                for (int f = 0; f < features; f++) {
                    x[(s * features + f) * steps + t] = (float) r.nextGaussian();
                }
                sum += x[(s * features) * steps + t];
                y[(s * 2) * steps + t] = (float) (sum / (t + 1));
                y[(s * 2 + 1) * steps + t] = t == 0 ? 0 : x[(s * features + 1) * steps + t - 1];
                mask[s * steps + t] = t < length ? 1 : 0;
            }
        }
        return new DataSet(Nd4j.create(x, new long[] {sequences, features, steps}),
                Nd4j.create(y, new long[] {sequences, 2, steps}),
                Nd4j.create(mask, new long[] {sequences, steps}), Nd4j.create(mask, new long[] {sequences, steps}));
    }

    /** Sequences {@code from .. from + count − 1} of {@code all} (from wraps; the count must fit), with their masks. */
    static DataSet batch(DataSet all, int from, int count) {
        int start = from % all.numExamples();
        if (start + count > all.numExamples()) {
            start = 0;
        }
        INDArrayIndex rows = NDArrayIndex.interval(start, start + count);
        return new DataSet(all.getFeatures().get(rows, NDArrayIndex.all(), NDArrayIndex.all()).dup(),
                all.getLabels().get(rows, NDArrayIndex.all(), NDArrayIndex.all()).dup(),
                all.getFeaturesMaskArray().get(rows, NDArrayIndex.all()).dup(),
                all.getLabelsMaskArray().get(rows, NDArrayIndex.all()).dup());
    }
}
