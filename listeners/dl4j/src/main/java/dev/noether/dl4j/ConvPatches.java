package dev.noether.dl4j;

import dev.noether.core.model.ProbePositions;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;


/**
 * The (sample, position) rows a convolution's moments average over (METRICS.md §10), computed on the engine:
 * h_a = the im2col patch (C_in·k_h·k_w, channel-major like the weight, padding read as zeros) and the
 * per-position vectors of any (B, C, H_out, W_out) array (pre-activations, their gradients). The positions
 * are core's {@link ProbePositions} (all, or a fixed seeded subset, the same as the DJL adapter measures).
 * Rows are ordered (position, sample).
 */
final class ConvPatches {
    private final ConvGeometry geometry;
    private final int[] positions;

    private ConvPatches(ConvGeometry geometry, int[] positions) {
        this.geometry = geometry;
        this.positions = positions;
    }

    /**
     * The positions measured of an output of {@code outputPositions} positions for {@code samples} samples, for
     * the linear layer at {@code layerIndex} (the DJL adapter draws the same ones).
     */
    static ConvPatches of(ConvGeometry geometry, int outputPositions, int samples, int layerIndex) {
        return of(geometry, ProbePositions.forLayer(outputPositions, samples, layerIndex));
    }

    /** The given {@code positions} (flat indices, sorted), e.g. a probe plan's. */
    static ConvPatches of(ConvGeometry geometry, int[] positions) {
        return new ConvPatches(geometry, positions);
    }

    int positions() {
        return positions.length;
    }

    /**
     * The patch rows of {@code input} (B, C_in, H, W): (positions · B) × (C_in·k_h·k_w), where the output
     * has the spatial size of {@code output}.
     */
    INDArray patches(INDArray input, long outH, long outW) {
        int[] k = geometry.kernel();
        int[] s = geometry.stride();
        int[] d = geometry.dilation();
        int[] p = geometry.padding(input.size(2), input.size(3), outH, outW);
        // padded here: ND4J's im2col pads symmetrically, and its own Same mode does not pad as DL4J's does
        INDArray image = p[0] + p[1] + p[2] + p[3] == 0 ? input.dup('c')
                : Nd4j.pad(input, new int[][] {{0, 0}, {0, 0}, {p[0], p[1]}, {p[2], p[3]}});
        // (B, C, kh, kw, outH, outW): the element read by kernel offset (i, j) at output (y, x); the output
        // array is given so that its type is the input's (ND4J's own allocation fails for doubles)
        INDArray col = Nd4j.create(image.dataType(), image.size(0), image.size(1), k[0], k[1], outH, outW);
        Convolution.im2col(image, k[0], k[1], s[0], s[1], 0, 0, d[0], d[1], false, col);
        return rows(col, image.size(0), image.size(1) * k[0] * k[1], outH * outW);
    }

    /** The per-position rows of {@code a} (B, C, outH, outW): (positions · B) × C. */
    INDArray atPositions(INDArray a) {
        return rows(a.dup('c'), a.size(0), a.size(1), a.size(2) * a.size(3));
    }

    /**
     * A 'c'-order (B, width…, outH, outW) array → the chosen positions' rows, (positions · B) × width. Only the
     * chosen columns of its (B·width) × positions view are copied, then laid out position-major.
     */
    private INDArray rows(INDArray a, long batch, long width, long total) {
        INDArray byColumn = a.reshape('c', batch * width, total);
        INDArray chosen = positions.length == total ? byColumn : byColumn.getColumns(positions);
        return chosen.reshape('c', batch, width, positions.length).permute(2, 0, 1).dup('c')
                .reshape('c', (long) positions.length * batch, width);
    }
}
