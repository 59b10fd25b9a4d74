package dev.noether.dl4j;

import dev.noether.core.model.SnapshotArrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Map;

/**
 * One layer of the description as DL4J parameters, in the description's order ({@link Dl4jGraph#measured()}):
 * how to read its W as core's m × n matrix, its b and their gradients.
 *
 * @param name   the {@code layer} tag
 * @param node   the DL4J layer holding the parameters
 * @param form   a linear layer (dense, output, convolution), a recurrent cell, or a weight-only parameter
 * @param prefix a recurrent cell's parameter key prefix ("" or Bidirectional's "f" / "b")
 * @param key    a weight-only parameter's key ({@code paramTable()}), else null
 */
record Dl4jWeights(String name, Dl4jNode node, Form form, String prefix, String key) {
    enum Form { LINEAR, RECURRENT, WEIGHT_ONLY }

    static Dl4jWeights linear(Dl4jNode node) {
        return new Dl4jWeights(node.name(), node, Form.LINEAR, "", null);
    }

    /**
     * W of shape (m, n) on the engine: a linear layer's own view ({@link Dl4jNode#weightMatrix}); a recurrent
     * cell's [W_xᵀ RW_hᵀ] (DL4J stores W (nIn, gates·H) and RW (H, gates·H), GravesLSTM's RW with 3 peephole
     * columns more, which are not W_h and are left out); a weight-only parameter as (nIn, nOut) transposed
     * (METRICS.md §0), or a higher-rank one as its first dimension × the rest.
     */
    INDArray weight() {
        return matrix(node.layer().paramTable());
    }

    /** ∂ℓ/∂W as DL4J holds it (a minibatch sum), in {@link #weight()}'s layout; null when absent. */
    INDArray weightGradient(Map<String, INDArray> gradients) {
        return matrix(gradientsOf(gradients));
    }

    /** b (length m), or null when the layer has none (a weight-only parameter never has one). */
    INDArray bias() {
        return switch (form) {
            case LINEAR -> node.hasBias() ? node.layer().getParam("b") : null;
            case RECURRENT -> node.layer().paramTable().get(prefix + "b");
            case WEIGHT_ONLY -> null;
        };
    }

    INDArray biasGradient(Map<String, INDArray> gradients) {
        return switch (form) {
            case LINEAR -> node.hasBias() ? gradients.get(node.gradientPrefix() + "b") : null;
            case RECURRENT -> gradients.get(node.gradientPrefix() + prefix + "b");
            case WEIGHT_ONLY -> null;
        };
    }

    boolean hasBias() {
        return bias() != null;
    }

    /** W (or its gradient) as core's m × n row-major host array, into an array from {@code into} (fresh when null). */
    float[] rows(INDArray w, SnapshotArrays into) {
        if (form == Form.LINEAR) {
            return node.weightRows(w, into);
        }
        return HostCopy.rowMajor(w, into);
    }

    /** For a linear layer the raw parameter (its rows are read by {@link #rows}); for the others the matrix. */
    INDArray raw() {
        return form == Form.LINEAR ? node.layer().getParam(node.weightKey()) : weight();
    }

    /** Like {@link #raw()} for the gradient. */
    INDArray rawGradient(Map<String, INDArray> gradients) {
        return form == Form.LINEAR ? gradients.get(node.gradientPrefix() + node.weightKey()) : weightGradient(gradients);
    }

    private Map<String, INDArray> gradientsOf(Map<String, INDArray> gradients) {
        Map<String, INDArray> out = new java.util.HashMap<>();
        for (String k : node.layer().paramTable().keySet()) {
            INDArray g = gradients.get(node.gradientPrefix() + k);
            if (g != null) {
                out.put(k, g);
            }
        }
        return out;
    }

    private INDArray matrix(Map<String, INDArray> params) {
        switch (form) {
            case LINEAR -> {
                INDArray w = params.get(node.weightKey());
                return w == null ? null : node.weightMatrix(w);
            }
            case RECURRENT -> {
                INDArray w = params.get(prefix + "W");
                INDArray rw = params.get(prefix + "RW");
                if (w == null || rw == null) {
                    return null;
                }
                long rows = w.size(1); // gates·H
                INDArray h = rw.size(1) == rows ? rw : rw.get(NDArrayIndex.all(), NDArrayIndex.interval(0, rows));
                return Nd4j.hstack(w.transpose(), h.transpose());
            }
            default -> {
                INDArray p = params.get(key);
                if (p == null) {
                    return null;
                }
                if (p.rank() == 2) {
                    return p.transpose();
                }
                return p.dup('c').reshape('c', p.size(0), p.length() / p.size(0));
            }
        }
    }
}
