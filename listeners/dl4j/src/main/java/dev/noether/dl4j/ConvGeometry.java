package dev.noether.dl4j;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;

import java.util.Arrays;

/**
 * Which patches a DL4J convolution reads (METRICS.md §10: stride, padding and dilation change only which
 * patches exist). DL4J runs a {@code Convolution1DLayer} as a 2-D convolution with kernel (k, 1) on
 * (B, C, T, 1), so its weight is (C_out, C_in, k, 1) and its patches are those of that 2-D convolution.
 *
 * @param kernel   spatial kernel dims as DL4J stores them (kh, kw) / (kd, kh, kw); (k, 1) for 1-D
 * @param stride   per spatial dim
 * @param padding  per spatial dim, symmetric (DL4J's {@code Same} mode computes its own, possibly asymmetric)
 * @param dilation per spatial dim
 * @param same     DL4J's {@code ConvolutionMode.Same}
 * @param spatial  1, 2 or 3: the rank of the convolution as the user wrote it
 */
record ConvGeometry(int[] kernel, int[] stride, int[] padding, int[] dilation, boolean same, int spatial) {

    /** The geometry of {@code conf}, or null when Noether does not read it as a dense layer over channels. */
    static ConvGeometry of(ConvolutionLayer conf) {
        boolean same = conf.getConvolutionMode() == ConvolutionMode.Same;
        if (conf instanceof Convolution3D c3) {
            return new ConvGeometry(c3.getKernelSize(), c3.getStride(), c3.getPadding(), c3.getDilation(), same, 3);
        }
        if (conf instanceof Convolution1DLayer c1) {
            return new ConvGeometry(new int[] {c1.getKernelSize()[0], 1}, new int[] {c1.getStride()[0], 1},
                    new int[] {c1.getPadding()[0], 0}, new int[] {c1.getDilation()[0], 1}, same, 1);
        }
        return new ConvGeometry(conf.getKernelSize(), conf.getStride(), conf.getPadding(), conf.getDilation(), same, 2);
    }

    /**
     * Why a layer of one of these classes is not read as a dense layer over channels, or null when it is.
     * The classes are matched exactly: DL4J's depthwise, separable and transposed convolutions subclass
     * {@code ConvolutionLayer} but their weights are not (C_out, C_in, k…).
     */
    static String unsupportedReason(ConvolutionLayer conf) {
        Class<?> type = conf.getClass();
        if (type != ConvolutionLayer.class && type != Convolution1DLayer.class && type != Convolution3D.class) {
            return type.getSimpleName() + " (grouped, depthwise, separable or transposed convolutions are not"
                    + " read as dense layers over channels)";
        }
        if (conf instanceof Convolution3D c3) {
            return c3.getDataFormat() == Convolution3D.DataFormat.NCDHW ? null
                    : "Convolution3D with channels-last layout " + c3.getDataFormat();
        }
        if (conf instanceof Convolution1DLayer c1) {
            return c1.getRnnDataFormat() == org.deeplearning4j.nn.conf.RNNFormat.NCW ? null
                    : "Convolution1DLayer with channels-last layout " + c1.getRnnDataFormat();
        }
        return conf.getCnn2dDataFormat() == CNN2DFormat.NCHW ? null
                : "ConvolutionLayer with channels-last layout " + conf.getCnn2dDataFormat();
    }

    /** ∏k: the patch positions per input channel, i.e. the columns of W each input channel owns. */
    int patchPositions() {
        int p = 1;
        for (int k : kernel) {
            p *= k;
        }
        return p;
    }

    /** The spatial kernel as the user wrote it ((k) for a 1-D convolution). */
    int[] userKernel() {
        return spatial == 1 ? new int[] {kernel[0]} : kernel.clone();
    }

    @Override
    public String toString() {
        return "k" + Arrays.toString(kernel) + " s" + Arrays.toString(stride) + " p" + Arrays.toString(padding)
                + " d" + Arrays.toString(dilation) + (same ? " same" : "");
    }
}
