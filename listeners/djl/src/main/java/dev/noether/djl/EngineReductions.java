package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import dev.noether.core.model.LayerReductions;

import java.util.Arrays;

/**
 * The every-step tier's per-neuron sums of one linear layer ({@link LayerReductions}), reduced with DJL's own
 * ops on the device the parameters live on; only the m·6 + n·3 sums cross to the heap, in one copy. W is read
 * as m × (everything else), which is a convolution's C_out × C_in·∏k. The sums run in float64 on the engine,
 * as core's host reference does, so the charge identity keeps its precision. Keeps the one previous W (a
 * float64 engine copy) that ‖ΔW‖² needs; {@link #close} releases it. Not thread-safe.
 */
final class EngineReductions implements AutoCloseable {
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter hidden; // a recurrent layer's W_h, joined to W_x column-wise
    private NDArray previous;
    private long previousStep = Long.MIN_VALUE;

    EngineReductions(MappedNetwork.DenseParameters layer) {
        this.weight = layer.weight();
        this.bias = layer.bias();
        this.hidden = layer.hiddenWeight();
    }

    /** The sums of step {@code step}, with ‖ΔW‖² when the previous call was for step − 1. */
    LayerReductions reduce(long step) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray raw = weight.getArray();
            long m = raw.getShape().get(0);
            NDArray w = raw.toType(DataType.FLOAT64, true).reshape(m, -1);
            NDArray gw = gradient(weight, m, -1);
            if (hidden != null) {
                w = w.concat(hidden.getArray().toType(DataType.FLOAT64, true).reshape(m, -1), 1);
                NDArray gh = gradient(hidden, m, -1);
                gw = gw == null || gh == null ? null : gw.concat(gh, 1);
            }
            int n = Math.toIntExact(w.getShape().get(1));
            NDArray b = bias == null ? null : bias.getArray().toType(DataType.FLOAT64, true).reshape(m);
            NDArray gb = bias == null || gw == null ? null : gradient(bias, m);
            boolean grads = gw != null && (bias == null || gb != null);

            NDArray wSq = w.square();
            NDArray gSq = grads ? gw.square() : null;
            NDArray wg = grads ? w.mul(gw) : null;
            NDList parts = new NDList(wSq.sum(new int[] {1}));
            if (grads) {
                parts.add(gSq.sum(new int[] {1}));
                parts.add(wg.sum(new int[] {1}));
            }
            if (b != null) {
                parts.add(b.square());
                if (grads) {
                    parts.add(gb.square());
                    parts.add(b.mul(gb));
                }
            }
            parts.add(wSq.sum(new int[] {0}));
            if (grads) {
                parts.add(gSq.sum(new int[] {0}));
                parts.add(wg.sum(new int[] {0}));
            }
            boolean consecutive = previous != null && previousStep == step - 1;
            if (consecutive) {
                parts.add(w.sub(previous).square().sum().reshape(1));
            }
            double[] all = NDArrays.concat(parts).toDoubleArray(); // the one copy to the heap
            keep(w, step);
            return LayerReductions.unpack(all, Math.toIntExact(m), n, b != null, grads, consecutive);
        }
    }

    /** Keeps this step's W as the previous one, outside the scope, and releases the one before. */
    private void keep(NDArray w, long step) {
        NDScope.unregister(w);
        if (previous != null) {
            previous.close();
        }
        previous = w;
        previousStep = step;
    }

    /** ∂ℓ/∂θ in float64 reshaped to {@code shape}, or null when the parameter has none. */
    private static NDArray gradient(Parameter p, long... shape) {
        NDArray a = p.getArray();
        if (!a.hasGradient()) {
            return null;
        }
        NDArray g = a.getGradient(); // a new handle, closed with the scope
        return g.toType(DataType.FLOAT64, true).reshape(shape);
    }

    @Override
    public void close() {
        if (previous != null) {
            previous.close();
            previous = null;
        }
    }
}
