package dev.noether.dl4j;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * Which patches a DL4J 2-D or 1-D convolution reads (METRICS.md §10: stride, padding and dilation change only
 * which patches exist). DL4J runs a {@code Convolution1DLayer} on (B, C, T) as the 2-D one on (B, C, T, 1)
 * with kernel (k, 1), and here it is read that way.
 *
 * @param kernel   (kh, kw); (k, 1) for 1-D
 * @param stride   (sh, sw)
 * @param padding  (ph, pw), symmetric, unless {@code same}
 * @param dilation (dh, dw)
 * @param same     DL4J's {@code ConvolutionMode.Same}: output ⌈size/stride⌉, padding computed, the odd one at
 *                 the bottom/right
 */
record ConvGeometry(int[] kernel, int[] stride, int[] padding, int[] dilation, boolean same, boolean oneD) {

    static ConvGeometry of(ConvolutionLayer conf) {
        boolean same = conf.getConvolutionMode() == ConvolutionMode.Same;
        if (conf instanceof Convolution1DLayer c) {
            // its int[] settings repeat the 1-D value ([3, 3] for kernel 3): only the first is the time axis
            return new ConvGeometry(new int[] {c.getKernelSize()[0], 1}, new int[] {c.getStride()[0], 1},
                    new int[] {c.getPadding()[0], 0}, new int[] {c.getDilation()[0], 1}, same, true);
        }
        return new ConvGeometry(conf.getKernelSize(), conf.getStride(), conf.getPadding(), conf.getDilation(),
                same, false);
    }

    /**
     * Why a layer of one of these classes is not read as a dense layer over channels, or null when it is.
     * The class is matched exactly: DL4J's depthwise, separable and transposed convolutions subclass
     * {@code ConvolutionLayer} but their weights are not (C_out, C_in, k…); so does its 3-D one.
     */
    static String unsupportedReason(ConvolutionLayer conf) {
        Class<?> type = conf.getClass();
        if (type == Convolution1DLayer.class) {
            Convolution1DLayer c = (Convolution1DLayer) conf;
            if (c.getConvolutionMode() == ConvolutionMode.Causal) {
                return "Convolution1DLayer in Causal mode (left padding only)";
            }
            return c.getRnnDataFormat() == org.deeplearning4j.nn.conf.RNNFormat.NCW ? null
                    : "Convolution1DLayer with channels-last layout " + c.getRnnDataFormat();
        }
        if (type == Convolution3D.class) {
            return "Convolution3D (no 3-D patches in this adapter)";
        }
        if (type != ConvolutionLayer.class) {
            return type.getSimpleName() + " (grouped, depthwise, separable and transposed convolutions are not"
                    + " read as dense layers over channels)";
        }
        return conf.getCnn2dDataFormat() == CNN2DFormat.NCHW ? null
                : "ConvolutionLayer with channels-last layout " + conf.getCnn2dDataFormat();
    }

    /** ∏k: the patch positions per input channel, i.e. the columns of W each input channel owns. */
    int patchPositions() {
        return kernel[0] * kernel[1];
    }

    /**
     * The (top, bottom, left, right) zero padding of an input of {@code height} × {@code width} that gives an
     * output of {@code outH} × {@code outW}: the layer's own, or in {@code Same} mode the total needed, split
     * with the odd one at the bottom/right as DL4J does.
     */
    int[] padding(long height, long width, long outH, long outW) {
        if (!same) {
            return new int[] {padding[0], padding[0], padding[1], padding[1]};
        }
        int totalH = (int) Math.max(0, (outH - 1) * stride[0] + (long) (kernel[0] - 1) * dilation[0] + 1 - height);
        int totalW = (int) Math.max(0, (outW - 1) * stride[1] + (long) (kernel[1] - 1) * dilation[1] + 1 - width);
        return new int[] {totalH / 2, totalH - totalH / 2, totalW / 2, totalW - totalW / 2};
    }

    /** The spatial kernel as the user wrote it: (k) for 1-D. */
    int[] userKernel() {
        return oneD ? new int[] {kernel[0]} : kernel.clone();
    }

    /** (B, C, T) of a 1-D convolution as DL4J runs it, (B, C, T, 1); 4-D arrays as they are. */
    INDArray asImage(INDArray a) {
        return a.rank() == 3 ? a.reshape('c', a.size(0), a.size(1), a.size(2), 1) : a;
    }

    /**
     * The weight as the m × n matrix of METRICS.md §10 (row i = output channel i's filter, columns (C_in, k…)).
     * DL4J 1.0.0-M2.1 reports a 1-D kernel's shape as (C_out, C_in, k, 1) but its conv1d op reads the buffer
     * as (k, C_in, C_out) (shown in {@code Dl4jConvProbeTest}): that one is permuted.
     */
    INDArray weightMatrix(INDArray w) {
        long m = w.size(0);
        long cIn = w.size(1);
        if (!oneD) {
            return w.reshape('c', m, w.length() / m);
        }
        long k = kernel[0];
        return w.dup('c').reshape('c', k, cIn, m).permute(2, 1, 0).dup('c').reshape('c', m, cIn * k);
    }

    @Override
    public String toString() {
        return "k" + Arrays.toString(kernel) + " s" + Arrays.toString(stride) + " p" + Arrays.toString(padding)
                + " d" + Arrays.toString(dilation) + (same ? " same" : "");
    }
}
