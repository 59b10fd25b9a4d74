package dev.noether.dl4j;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;

import java.util.Arrays;

/**
 * Which patches a DL4J 2-D convolution reads (METRICS.md §10: stride, padding and dilation change only which
 * patches exist).
 *
 * @param kernel   (kh, kw)
 * @param stride   (sh, sw)
 * @param padding  (ph, pw), symmetric, unless {@code same}
 * @param dilation (dh, dw)
 * @param same     DL4J's {@code ConvolutionMode.Same}: output ⌈size/stride⌉, padding computed, the odd one at
 *                 the bottom/right
 */
record ConvGeometry(int[] kernel, int[] stride, int[] padding, int[] dilation, boolean same) {

    static ConvGeometry of(ConvolutionLayer conf) {
        return new ConvGeometry(conf.getKernelSize(), conf.getStride(), conf.getPadding(), conf.getDilation(),
                conf.getConvolutionMode() == ConvolutionMode.Same);
    }

    /**
     * Why a layer of one of these classes is not read as a dense layer over channels, or null when it is.
     * The class is matched exactly: DL4J's depthwise, separable and transposed convolutions subclass
     * {@code ConvolutionLayer} but their weights are not (C_out, C_in, k…); so do its 1-D and 3-D ones.
     */
    static String unsupportedReason(ConvolutionLayer conf) {
        Class<?> type = conf.getClass();
        if (type == Convolution1DLayer.class) {
            // verified in Dl4jConvProbeTest: the op reads the buffer as (k, C_in, C_out)
            return "Convolution1DLayer (DL4J 1.0.0-M2.1 keeps its kernel in the conv1d op's (k, C_in, C_out)"
                    + " memory order under a (C_out, C_in, k, 1) shape: not read)";
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

    @Override
    public String toString() {
        return "k" + Arrays.toString(kernel) + " s" + Arrays.toString(stride) + " p" + Arrays.toString(padding)
                + " d" + Arrays.toString(dilation) + (same ? " same" : "");
    }
}
