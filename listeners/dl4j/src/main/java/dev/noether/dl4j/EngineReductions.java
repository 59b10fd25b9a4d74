package dev.noether.dl4j;

import dev.noether.core.model.LayerReductions;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

/**
 * The every-step tier's per-neuron sums of one linear layer ({@link LayerReductions}), reduced with ND4J ops
 * on the arrays where they live; only the m·6 + n·3 sums cross to the heap, in one copy. W is read as core's
 * m × n matrix ({@link Dl4jNode#weightMatrix}: DL4J's dense (nIn, nOut) transposed as a view, a convolution's
 * C_out × C_in·∏k). The sums run in float64, as core's host reference does. Keeps the one previous W (a
 * float64 copy outside any workspace) that ‖ΔW‖² needs. Not thread-safe.
 */
final class EngineReductions {
    private final Dl4jWeights layer;
    private INDArray previous;
    private long previousStep = Long.MIN_VALUE;

    EngineReductions(Dl4jWeights layer) {
        this.layer = layer;
    }

    /**
     * The sums of iteration {@code step}, with ‖ΔW‖² when the previous call was for step − 1.
     *
     * @param gw      DL4J's raw ∂ℓ/∂W (a sum over the minibatch), or null
     * @param gb      DL4J's raw ∂ℓ/∂b, or null
     * @param divisor the batch size the raw gradients are divided by (1 outside minibatch mode)
     */
    LayerReductions reduce(long step, INDArray w, INDArray b, INDArray gw, INDArray gb, float divisor) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray w64 = float64Copy(matrix(w));
            int m = (int) w64.size(0);
            int n = (int) w64.size(1);
            boolean grads = gw != null && (b == null || gb != null);
            INDArray g64 = grads ? mean(matrix(gw), divisor) : null;
            INDArray b64 = b == null ? null : float64Copy(b).reshape(m);
            INDArray gb64 = b != null && grads ? mean(gb, divisor).reshape(m) : null;

            List<INDArray> parts = new ArrayList<>();
            INDArray wSq = w64.mul(w64);
            INDArray wg = grads ? w64.mul(g64) : null;
            INDArray gSq = grads ? g64.mul(g64) : null;
            parts.add(wSq.sum(1));
            if (grads) {
                parts.add(gSq.sum(1));
                parts.add(wg.sum(1));
            }
            if (b64 != null) {
                parts.add(b64.mul(b64));
                if (grads) {
                    parts.add(gb64.mul(gb64));
                    parts.add(b64.mul(gb64));
                }
            }
            parts.add(wSq.sum(0));
            if (grads) {
                parts.add(gSq.sum(0));
                parts.add(wg.sum(0));
            }
            boolean consecutive = previous != null && previousStep == step - 1;
            if (consecutive) {
                // the direct sum: squaredDistance goes through ‖a‖² + ‖b‖² − 2a·b, which cancels
                INDArray d = w64.sub(previous);
                parts.add(d.muli(d).sum().reshape(1));
            }
            double[] all = Nd4j.toFlattened('c', parts).toDoubleVector(); // the one copy to the heap
            previous = w64;
            previousStep = step;
            return LayerReductions.unpack(all, m, n, b64 != null, grads, consecutive);
        }
    }

    /** {@link Dl4jWeights#raw()} as the m × n matrix: a linear layer's view, the others' matrix as it is. */
    private INDArray matrix(INDArray raw) {
        return layer.form() == Dl4jWeights.Form.LINEAR ? layer.node().weightMatrix(raw) : raw;
    }

    /**
     * The batch-mean gradient in float64. Scaled by 1/B in the array's own type before widening, as the host
     * copy does ({@link Dl4jStepCapture}), so both paths see the same numbers.
     */
    private static INDArray mean(INDArray sum, float divisor) {
        INDArray scaled = divisor == 1 ? sum : sum.mul(1f / divisor);
        return scaled == sum ? float64Copy(sum) : scaled.castTo(DataType.DOUBLE);
    }

    /** A fresh float64 copy in 'c' order (castTo returns the array itself when it is float64 already). */
    private static INDArray float64Copy(INDArray a) {
        return a.dataType() == DataType.DOUBLE ? a.dup('c') : a.castTo(DataType.DOUBLE).dup('c');
    }
}
