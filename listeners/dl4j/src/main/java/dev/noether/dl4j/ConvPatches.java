package dev.noether.dl4j;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.convolution.Convolution;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.Random;

/**
 * The (sample, position) rows a convolution's moments average over (METRICS.md §10), computed on the engine:
 * h_a = the im2col patch (C_in·k_h·k_w, channel-major like the weight, padding read as zeros) and the
 * per-position vectors of any (B, C, H_out, W_out) array (pre-activations, their gradients). When the
 * output has more than {@link #MAX_POSITIONS} positions a fixed random subset of them (same positions for
 * every sample, seeded by the layer) is used: the moments are then estimates over that subset.
 * Rows are ordered (position, sample).
 */
final class ConvPatches {
    /** The most spatial positions per sample a conv layer's probe moments average over. */
    static final int MAX_POSITIONS = 64;

    private final ConvGeometry geometry;
    private final int[] positions;

    private ConvPatches(ConvGeometry geometry, int[] positions) {
        this.geometry = geometry;
        this.positions = positions;
    }

    /**
     * The positions of an output of {@code outputPositions} spatial positions: all of them, or
     * {@link #MAX_POSITIONS} drawn without replacement with {@code seed}, in increasing order.
     */
    static ConvPatches of(ConvGeometry geometry, int outputPositions, long seed) {
        int[] all = new int[outputPositions];
        Arrays.setAll(all, i -> i);
        if (outputPositions <= MAX_POSITIONS) {
            return new ConvPatches(geometry, all);
        }
        Random random = new Random(seed);
        for (int i = 0; i < MAX_POSITIONS; i++) { // partial Fisher–Yates
            int j = i + random.nextInt(outputPositions - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] chosen = Arrays.copyOf(all, MAX_POSITIONS);
        Arrays.sort(chosen);
        return new ConvPatches(geometry, chosen);
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
        long n = image.size(1) * k[0] * k[1];
        return rows(col.permute(4, 5, 0, 1, 2, 3), image.size(0), n);
    }

    /** The per-position rows of {@code a} (B, C, outH, outW): (positions · B) × C. */
    INDArray atPositions(INDArray a) {
        return rows(a.permute(2, 3, 0, 1), a.size(0), a.size(1));
    }

    /** (outH, outW, B, width…) → the chosen positions' rows, (positions · B) × width. */
    private INDArray rows(INDArray positionMajor, long batch, long width) {
        long total = positionMajor.size(0) * positionMajor.size(1);
        INDArray byPosition = positionMajor.dup('c').reshape('c', total, batch * width);
        INDArray chosen = positions.length == total ? byPosition : byPosition.getRows(positions);
        return chosen.reshape('c', positions.length * batch, width);
    }
}
