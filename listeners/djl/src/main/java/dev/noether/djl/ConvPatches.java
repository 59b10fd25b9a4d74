package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.noether.core.model.ProbePositions;
import dev.noether.core.probe.ProbePlan;

/**
 * Probe moments of one convolution over (sample, position) pairs (METRICS.md §10), on the engine. DJL has no
 * unfold, so the im2col patches are built from ∏k shifted, strided slices of the zero-padded input, one per
 * kernel offset, stacked in (C_in, k…) order, the column order of the weight (C_out, C_in, k…) read as a matrix.
 * Output positions are subsampled with a fixed seed ({@link ProbePositions}); the same positions are taken from
 * the input patches, the pre-activations h_b, the gradients ∂L/∂h_b and the post-activations. Only the d×d
 * matrices are copied to the heap.
 */
final class ConvPatches {
    private ConvPatches() {}

    /** One convolution's moments, and the output positions per sample it found (for the next plan's cost). */
    record Measured(ProbeRunner.Moments moments, int outputPositions) {}

    /**
     * @param x     the convolution's input (B, C_in, S…)
     * @param y     its pre-activation output (B, C_out, O…)
     * @param post  the post-activation of the same shape as y, or null
     * @param grad  ∂L/∂y of the batch-mean loss L, or null
     * @param plan  which positions to measure ({@link ProbePlan#positions})
     */
    static Measured moments(int layer, int samples, NDArray x, NDArray y, NDArray post, NDArray grad,
                            MappedNetwork.ConvGeometry g, ProbePlan plan, NDManager work) {
        long[] out = y.getShape().slice(2).getShape();
        int positions = Math.toIntExact(new Shape(out).size());
        int[] chosen = plan.positions(positions, layer);
        long[] index = new long[chosen.length];
        for (int i = 0; i < chosen.length; i++) {
            index[i] = chosen[i];
        }
        NDArray at = work.create(index);
        int rows = samples * chosen.length;

        NDArray ha = rows(patches(x, g, out, at), rows);
        NDArray hb = rows(select(y, at), rows);
        double sa = ProbeRunner.scaleOf(ha, 1, rows);
        double sb = ProbeRunner.scaleOf(hb, 1, rows);
        // g = B·∂L/∂h_b per (sample, position): E[g gᵀ] = (B²/rows)·Σ ∂L/∂h ∂L/∂hᵀ, as for a dense layer
        NDArray gRows = grad == null ? null : rows(select(grad, at), rows);
        double sg = gRows == null ? 1 : ProbeRunner.scaleOf(gRows, samples, rows);
        float[] gb = gRows == null ? null : sg == 1 ? ProbeRunner.secondMoment(gRows, (double) samples * samples / rows)
                : ProbeRunner.secondMoment(gRows.mul(samples / sg), 1.0 / rows); // B/s is exact: s is a power of two
        float[] active = post == null || !post.getShape().equals(y.getShape()) ? null
                : ProbeRunner.floats(rows(select(post, at), rows).neq(0).toType(DataType.FLOAT32, false)
                        .mean(new int[] {0}));
        return new Measured(new ProbeRunner.Moments(layer, rows, ProbeRunner.secondMoment(ha, sa, 1.0 / rows),
                ProbeRunner.secondMoment(hb, sb, 1.0 / rows), gb,
                ProbeRunner.floats(ProbeRunner.scaled(hb, sb).mean(new int[] {0})), active, new double[] {sa, sb, sg}),
                positions);
    }

    /** The chosen positions of (B, C, O…) as (B, C, P_chosen). */
    private static NDArray select(NDArray a, NDArray at) {
        Shape s = a.getShape();
        return a.reshape(s.get(0), s.get(1), -1).get(new NDIndex(":, :, {}", at));
    }

    /** (B, C, P) → (B·P, C): one row per (sample, position). */
    private static NDArray rows(NDArray a, int rows) {
        return a.transpose(0, 2, 1).reshape(rows, a.getShape().get(1));
    }

    /**
     * The im2col patches at the chosen positions, (B, C_in·∏k, P_chosen): for kernel offset o (row-major over
     * the kernel dims) the input element at o_d·dilation_d + stride_d·out_d in every padded spatial dim d.
     */
    static NDArray patches(NDArray x, MappedNetwork.ConvGeometry g, long[] out, NDArray at) {
        int dims = g.dims();
        NDArray padded = x;
        boolean anyPadding = false;
        long[] pad = new long[2 * dims]; // torch order: last dim first, (before, after) each
        for (int d = 0; d < dims; d++) {
            long p = g.padding()[d];
            pad[2 * (dims - 1 - d)] = p;
            pad[2 * (dims - 1 - d) + 1] = p;
            anyPadding |= p > 0;
        }
        if (anyPadding) {
            padded = x.pad(new Shape(pad), 0);
        }
        int offsets = 1;
        for (long k : g.kernel()) {
            offsets *= Math.toIntExact(k);
        }
        NDList slices = new NDList(offsets);
        long[] o = new long[dims];
        for (int flat = 0; flat < offsets; flat++) {
            int rest = flat;
            for (int d = dims - 1; d >= 0; d--) {
                o[d] = rest % g.kernel()[d];
                rest /= Math.toIntExact(g.kernel()[d]);
            }
            StringBuilder index = new StringBuilder(":, :");
            for (int d = 0; d < dims; d++) {
                long start = o[d] * g.dilation()[d];
                long stop = start + g.stride()[d] * (out[d] - 1) + 1;
                index.append(", ").append(start).append(':').append(stop).append(':').append(g.stride()[d]);
            }
            slices.add(select(padded.get(new NDIndex(index.toString())), at));
        }
        Shape s = x.getShape();
        long chosen = at.size();
        return NDArrays.stack(slices, 2).reshape(s.get(0), s.get(1) * offsets, chosen);
    }
}
