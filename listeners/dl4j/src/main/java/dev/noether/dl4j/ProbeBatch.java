package dev.noether.dl4j;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;

/**
 * The fixed batch the heavy analysis looks at: private copies of the features of every network input, the
 * labels of every network output, and their masks (in DL4J's order of {@code getNetworkInputs()} and
 * {@code getNetworkOutputs()}), outside every ND4J workspace, so neither later training nor a closed workspace
 * can change or free them. Any entry may be null (an output without labels gets no loss gradient; no mask means
 * every step counts).
 */
record ProbeBatch(INDArray[] features, INDArray[] labels, INDArray[] featureMasks, INDArray[] labelMasks) {
    /** Default size of a probe taken from the first minibatch. */
    static final int DEFAULT_SAMPLES = 256;

    /** One input and one output, no masks (labels may be null). */
    static ProbeBatch of(INDArray features, INDArray labels) {
        return new ProbeBatch(new INDArray[] {features}, new INDArray[] {labels}, new INDArray[1], new INDArray[1]);
    }

    /** Detached copies of the first {@code max} rows of every array (nulls and missing arrays stay null). */
    static ProbeBatch copyOf(INDArray[] features, INDArray[] labels, INDArray[] featureMasks, INDArray[] labelMasks,
                             int max) {
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            long rows = Math.min(features[0].size(0), max);
            return new ProbeBatch(copies(features, rows, features.length), copies(labels, rows, length(labels)),
                    copies(featureMasks, rows, features.length), copies(labelMasks, rows, length(labels)));
        }
    }

    /** The samples of the batch. */
    int samples() {
        return Math.toIntExact(features[0].size(0));
    }

    /** The time steps of each sample: the longest time axis of a (B, C, T) feature array, 1 when none is a series. */
    int steps() {
        long steps = 1;
        for (INDArray f : features) {
            if (f != null && f.rank() == 3) {
                steps = Math.max(steps, f.size(2));
            }
        }
        return Math.toIntExact(steps);
    }

    /** The first {@code rows} samples of every array (this batch when it has no more). */
    ProbeBatch first(int rows) {
        if (rows >= samples()) {
            return this;
        }
        return new ProbeBatch(views(features, rows), views(labels, rows), views(featureMasks, rows), views(labelMasks, rows));
    }

    private static int length(INDArray[] a) {
        return a == null ? 0 : a.length;
    }

    private static INDArray[] copies(INDArray[] arrays, long rows, int length) {
        INDArray[] out = new INDArray[length];
        for (int i = 0; arrays != null && i < Math.min(length, arrays.length); i++) {
            out[i] = arrays[i] == null ? null : firstRows(arrays[i], rows).dup();
        }
        return out;
    }

    private static INDArray[] views(INDArray[] arrays, long rows) {
        return Arrays.stream(arrays).map(a -> a == null ? null : firstRows(a, rows).dup()).toArray(INDArray[]::new);
    }

    private static INDArray firstRows(INDArray a, long rows) {
        if (a.size(0) == rows) {
            return a;
        }
        INDArrayIndex[] index = new INDArrayIndex[a.rank()];
        index[0] = NDArrayIndex.interval(0, rows);
        for (int d = 1; d < index.length; d++) {
            index[d] = NDArrayIndex.all();
        }
        return a.get(index);
    }
}
