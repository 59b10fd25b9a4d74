package dev.noether.dl4j;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The fixed batch the heavy analysis looks at: private copies of features and labels, outside every ND4J
 * workspace, so neither later training nor a closed workspace can change or free them.
 *
 * @param labels may be null (then no G_b is computed)
 */
record ProbeBatch(INDArray features, INDArray labels) {
    /** Default size of a probe taken from the first minibatch. */
    static final int DEFAULT_SAMPLES = 256;

    /** Detached copies of the first {@code max} rows of {@code features} and {@code labels}. */
    static ProbeBatch copyOf(INDArray features, INDArray labels, int max) {
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            long rows = Math.min(features.size(0), max);
            return new ProbeBatch(firstRows(features, rows).dup(), labels == null ? null : firstRows(labels, rows).dup());
        }
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
