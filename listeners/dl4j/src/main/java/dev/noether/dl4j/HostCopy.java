package dev.noether.dl4j;

import dev.noether.core.model.SnapshotArrays;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Copies ND4J arrays to fresh Java {@code float[]} in row-major order. A contiguous array is read with one
 * bulk copy from its native buffer (ND4J's own {@code toFloatVector()} reads element by element, which costs
 * more than the monitor's whole step budget for a 200k-parameter layer); anything else is first made
 * contiguous on the engine. The copy goes into a fresh array or, on the steps the monitor recycles, into one
 * of its {@link SnapshotArrays}.
 */
final class HostCopy {
    private HostCopy() {}

    /** The elements of {@code a} in row-major ('c') order; {@code a} is any shape, float or double. */
    static float[] rowMajor(INDArray a) {
        return rowMajor(a, null);
    }

    /** Like {@link #rowMajor(INDArray)}, into an array from {@code into} (a fresh one when null). */
    static float[] rowMajor(INDArray a, SnapshotArrays into) {
        if (a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a) || a.isVector() && a.elementWiseStride() == 1) {
            return bulk(a.data(), a.offset(), a.length(), into);
        }
        INDArray c = a.dup('c');
        return bulk(c.data(), c.offset(), c.length(), into);
    }

    /**
     * Wᵀ in row-major order for a DL4J weight matrix W of shape (nIn, nOut), i.e. the (out × in) layout of
     * METRICS.md §0. DL4J keeps W in 'f' order, whose memory is exactly that layout, so no transpose runs.
     */
    static float[] transposed(INDArray w, SnapshotArrays into) {
        if (w.rank() == 2 && w.ordering() == 'f' && Shape.hasDefaultStridesForShape(w)) {
            return bulk(w.data(), w.offset(), w.length(), into);
        }
        return rowMajor(w.transpose(), into);
    }

    private static float[] bulk(DataBuffer buffer, long offset, long length, SnapshotArrays into) {
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Array of " + length + " elements is too large to copy to the heap");
        }
        float[] out = into == null ? new float[(int) length] : into.take((int) length);
        DataType type = buffer.dataType();
        if (type == DataType.FLOAT) {
            FloatBuffer nio = buffer.asNioFloat();
            nio.position(Math.toIntExact(offset));
            nio.get(out);
        } else if (type == DataType.DOUBLE) {
            DoubleBuffer nio = buffer.asNioDouble();
            nio.position(Math.toIntExact(offset));
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) nio.get();
            }
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = buffer.getFloat(offset + i);
            }
        }
        return out;
    }
}
