package dev.noether.dl4j;

import dev.noether.core.model.LayerProbe;
import dev.noether.core.model.ProbePositions;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A convolution's probe moments (METRICS.md §10) against a second route: explicit loops over the patches of
 * a tiny input, and a hand-written forward and backward pass of conv → ReLU → max-pool → softmax in double
 * precision; for the geometries Noether claims (stride, dilation, padding, DL4J's {@code Same} mode with its
 * asymmetric padding, no bias, 1-D), against DL4J's own convolution output.
 */
class Dl4jConvProbeTest {
    private static final int B = 6;
    private static final int C_IN = 2;
    private static final int C_OUT = 3;
    private static final int SIZE = 5;
    private static final int CLASSES = 3;

    @Test
    void convMomentsMatchExplicitLoopsOverPatchesAndAHandWrittenBackwardPass() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(4)
                .dataType(DataType.DOUBLE).updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).biasInit(0.05).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv").padding(1, 1).nOut(C_OUT)
                        .activation(Activation.IDENTITY).build())
                .layer(new ActivationLayer.Builder().name("relu").activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).name("pool").kernelSize(2, 2)
                        .stride(2, 2).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out").nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(SIZE, SIZE, C_IN)).build());
        net.init();
        net.initGradientsView(); // DL4J allocates it at the first fit; the probe runs after one
        Random r = new Random(11);
        double[][][][] x = new double[B][C_IN][SIZE][SIZE];
        double[][] y = new double[B][CLASSES];
        for (int s = 0; s < B; s++) {
            for (int c = 0; c < C_IN; c++) {
                for (int h = 0; h < SIZE; h++) {
                    for (int w = 0; w < SIZE; w++) {
                        x[s][c][h][w] = r.nextGaussian();
                    }
                }
            }
            y[s][r.nextInt(CLASSES)] = 1;
        }
        List<LayerProbe> probes = Dl4jProbe.compute(Dl4jNetworkMapper.map(net, "tiny"),
                Nd4j.createFromArray(x), Nd4j.createFromArray(y));
        assertThat(probes).extracting(LayerProbe::layer).containsExactly(0, 1);

        double[][][][] k = kernel(net.getLayer(0).getParam("W")); // (C_out, C_in, kh, kw)
        double[] bias = net.getLayer(0).getParam("b").toDoubleVector();
        double[][] wOut = net.getLayer(3).getParam("W").toDoubleMatrix(); // (12, 3)
        double[] bOut = net.getLayer(3).getParam("b").toDoubleVector();
        int n = C_IN * 9;
        int positions = SIZE * SIZE;
        double[][] patches = new double[B * positions][n];
        double[][] z = new double[B * positions][C_OUT];
        double[][][][] zImage = new double[B][C_OUT][SIZE][SIZE];
        for (int s = 0; s < B; s++) {
            for (int oy = 0; oy < SIZE; oy++) {
                for (int ox = 0; ox < SIZE; ox++) {
                    int row = s * positions + oy * SIZE + ox;
                    for (int c = 0; c < C_IN; c++) {
                        for (int i = 0; i < 3; i++) {
                            for (int j = 0; j < 3; j++) {
                                int yy = oy - 1 + i;
                                int xx = ox - 1 + j;
                                boolean inside = yy >= 0 && yy < SIZE && xx >= 0 && xx < SIZE;
                                patches[row][c * 9 + i * 3 + j] = inside ? x[s][c][yy][xx] : 0;
                            }
                        }
                    }
                    for (int o = 0; o < C_OUT; o++) {
                        double v = bias[o];
                        for (int c = 0; c < C_IN; c++) {
                            for (int i = 0; i < 3; i++) {
                                for (int j = 0; j < 3; j++) {
                                    v += k[o][c][i][j] * patches[row][c * 9 + i * 3 + j];
                                }
                            }
                        }
                        z[row][o] = v;
                        zImage[s][o][oy][ox] = v;
                    }
                }
            }
        }
        // forward: ReLU, 2×2 max-pool (truncated: 5 → 2), channel-major flatten, softmax; backward by hand
        double[][] gConv = new double[B * positions][C_OUT];
        double[][] gOut = new double[B][CLASSES];
        for (int s = 0; s < B; s++) {
            double[] flat = new double[C_OUT * 4];
            int[] argmax = new int[C_OUT * 4];
            for (int o = 0; o < C_OUT; o++) {
                for (int py = 0; py < 2; py++) {
                    for (int px = 0; px < 2; px++) {
                        double best = Double.NEGATIVE_INFINITY;
                        for (int i = 0; i < 2; i++) {
                            for (int j = 0; j < 2; j++) {
                                double a = Math.max(0, zImage[s][o][2 * py + i][2 * px + j]);
                                if (a > best) {
                                    best = a;
                                    argmax[o * 4 + py * 2 + px] = (2 * py + i) * SIZE + 2 * px + j;
                                }
                            }
                        }
                        flat[o * 4 + py * 2 + px] = best;
                    }
                }
            }
            double[] logits = new double[CLASSES];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < CLASSES; c++) {
                logits[c] = bOut[c];
                for (int j = 0; j < flat.length; j++) {
                    logits[c] += wOut[j][c] * flat[j];
                }
                max = Math.max(max, logits[c]);
            }
            double norm = 0;
            for (int c = 0; c < CLASSES; c++) {
                norm += Math.exp(logits[c] - max);
            }
            for (int c = 0; c < CLASSES; c++) {
                gOut[s][c] = Math.exp(logits[c] - max) / norm - y[s][c]; // ∂(−log p_y)/∂logits
            }
            for (int j = 0; j < flat.length; j++) {
                double g = 0;
                for (int c = 0; c < CLASSES; c++) {
                    g += wOut[j][c] * gOut[s][c];
                }
                int o = j / 4;
                int pos = argmax[j];
                if (zImage[s][o][pos / SIZE][pos % SIZE] > 0) {
                    gConv[s * positions + pos][o] += g;
                }
            }
        }
        LayerProbe conv = probes.get(0);
        assertThat(conv.samples()).isEqualTo(B * positions);
        assertClose(conv.inputMoment(), secondMoment(patches), "H_a");
        assertClose(conv.outputMoment(), secondMoment(z), "H_b");
        assertClose(conv.outputMean(), mean(z), "E[h_b]");
        assertClose(conv.outputGradientMoment(), secondMoment(gConv), "G_b");
        double[][] relu = new double[z.length][C_OUT];
        for (int row = 0; row < z.length; row++) {
            for (int o = 0; o < C_OUT; o++) {
                relu[row][o] = z[row][o] > 0 ? 1 : 0;
            }
        }
        assertClose(conv.activeFraction(), mean(relu), "active fraction through the ActivationLayer");
        assertClose(probes.get(1).outputGradientMoment(), secondMoment(gOut), "G_b of the output layer");
    }

    /**
     * The patch rows Noether builds reproduce DL4J's own convolution at every position: H_b from W·patch + b
     * equals H_b of DL4J's output (so the patches are the ones DL4J reads), and H_a equals the loop patches.
     */
    @ParameterizedTest(name = "k{0} stride {1} pad {2} dilation {3} same {4} bias {5}")
    @CsvSource({"3,1,0,1,false,true", "3,2,1,1,false,true", "3,1,2,2,false,true", "2,2,0,1,true,true",
            "3,1,0,1,true,false", "4,3,1,1,true,true"})
    void patchesAreTheOnesDl4jConvolves(int kernel, int stride, int pad, int dilation, boolean same, boolean bias) {
        int size = 7;
        ConvolutionLayer.Builder conv = new ConvolutionLayer.Builder(kernel, kernel).name("conv").stride(stride, stride)
                .dilation(dilation, dilation).nOut(C_OUT).hasBias(bias).activation(Activation.IDENTITY);
        if (same) {
            conv.convolutionMode(ConvolutionMode.Same);
        } else {
            conv.padding(pad, pad).convolutionMode(ConvolutionMode.Truncate);
        }
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(5)
                .dataType(DataType.DOUBLE).weightInit(WeightInit.XAVIER).biasInit(0.3).list()
                .layer(conv.build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(size, size, C_IN)).build());
        net.init();
        net.initGradientsView(); // DL4J allocates it at the first fit; the probe runs after one
        INDArray x = Nd4j.rand(DataType.DOUBLE, B, C_IN, size, size).subi(0.5);
        LayerProbe p = Dl4jProbe.compute(Dl4jNetworkMapper.map(net, "geometry"), x, Nd4j.rand(DataType.DOUBLE, B, 2)).get(0);
        INDArray out = net.feedForward(x, false).get(1); // (B, C_out, H', W'), DL4J's own convolution
        int outH = (int) out.size(2);
        int outW = (int) out.size(3);
        double[][] z = new double[B * outH * outW][C_OUT];
        double[][] patches = new double[z.length][C_IN * kernel * kernel];
        // DL4J's Same mode: output ceil(size/stride), padding (total − total/2) at the bottom/right
        int padTop = same ? Math.max(0, (outH - 1) * stride + (kernel - 1) * dilation + 1 - size) / 2 : pad;
        for (int s = 0; s < B; s++) {
            for (int oy = 0; oy < outH; oy++) {
                for (int ox = 0; ox < outW; ox++) {
                    int row = s * outH * outW + oy * outW + ox;
                    for (int o = 0; o < C_OUT; o++) {
                        z[row][o] = out.getDouble(s, o, oy, ox);
                    }
                    for (int c = 0; c < C_IN; c++) {
                        for (int i = 0; i < kernel; i++) {
                            for (int j = 0; j < kernel; j++) {
                                int yy = oy * stride - padTop + i * dilation;
                                int xx = ox * stride - padTop + j * dilation;
                                boolean inside = yy >= 0 && yy < size && xx >= 0 && xx < size;
                                patches[row][(c * kernel + i) * kernel + j] = inside ? x.getDouble(s, c, yy, xx) : 0;
                            }
                        }
                    }
                }
            }
        }
        assertThat(p.samples()).isEqualTo(z.length);
        assertClose(p.outputMoment(), secondMoment(z), "H_b against DL4J's convolution");
        assertClose(p.inputMoment(), secondMoment(patches), "H_a against loop patches");
    }

    /** conv-BN-ReLU: a channel is active where DL4J's ReLU output after batch norm is non-zero. */
    @Test
    void activeChannelsAreCountedAfterBatchNormAndTheActivationLayer() {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(9)
                .dataType(DataType.DOUBLE).updater(new Sgd(0.1)).weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(3, 3).name("conv").nOut(C_OUT).hasBias(false)
                        .activation(Activation.IDENTITY).build())
                .layer(new org.deeplearning4j.nn.conf.layers.BatchNormalization.Builder().name("bn").build())
                .layer(new ActivationLayer.Builder().name("relu").activation(Activation.RELU).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(SIZE, SIZE, C_IN)).build());
        net.init();
        INDArray x = Nd4j.rand(DataType.DOUBLE, B, C_IN, SIZE, SIZE).subi(0.5);
        INDArray y = Nd4j.rand(DataType.DOUBLE, B, 2);
        for (int t = 0; t < 5; t++) {
            net.fit(x, y); // moves the running statistics and β away from their initial values
        }
        LayerProbe p = Dl4jProbe.compute(Dl4jNetworkMapper.map(net, "bn"), x, y).get(0);
        INDArray relu = net.feedForward(x, false).get(3); // (B, C_out, 3, 3) after conv, bn, relu
        double[][] active = new double[(int) (B * relu.size(2) * relu.size(3))][C_OUT];
        int row = 0;
        for (int s = 0; s < B; s++) {
            for (int h = 0; h < relu.size(2); h++) {
                for (int w = 0; w < relu.size(3); w++, row++) {
                    for (int o = 0; o < C_OUT; o++) {
                        active[row][o] = relu.getDouble(s, o, h, w) != 0 ? 1 : 0;
                    }
                }
            }
        }
        double[] expected = mean(active);
        assertThat(java.util.Arrays.stream(expected).anyMatch(f -> f > 0.05 && f < 0.95)).as("some channel is partly inactive").isTrue();
        for (int o = 0; o < C_OUT; o++) {
            assertThat((double) p.activeFraction()[o]).as("channel %d", o).isCloseTo(expected[o], within(1e-6));
        }
    }

    /**
     * A Convolution1DLayer: DL4J reports its weight as (C_out, C_in, k, 1) but the conv1d op reads the buffer as
     * (k, C_in, C_out); read that way, W·window + b reproduces DL4J's output, and the probe's moments are
     * those of the windows over time.
     */
    @Test
    void oneDimensionalConvolutionIsReadInTheConv1dOpsWeightOrder() {
        int steps = 9;
        int cOut = 4;
        int k = 3;
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(6)
                .dataType(DataType.DOUBLE).weightInit(WeightInit.XAVIER).biasInit(0.2).list()
                .layer(new Convolution1DLayer.Builder(k).name("conv1d").nOut(cOut).activation(Activation.IDENTITY)
                        .convolutionMode(ConvolutionMode.Truncate).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.MAX).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(C_IN, steps)).build());
        net.init();
        net.initGradientsView();
        INDArray x = Nd4j.rand(DataType.DOUBLE, B, C_IN, steps).subi(0.5);
        INDArray out = net.feedForward(x, false).get(1); // (B, C_out, T')
        INDArray w = net.getLayer(0).getParam("W");
        assertThat(w.shape()).containsExactly(cOut, C_IN, k, 1);
        double[] flat = w.dup('c').data().asDouble();
        double[] b = net.getLayer(0).getParam("b").toDoubleVector();
        int outT = (int) out.size(2);
        double opOrder = 0;
        double shapeOrder = 0;
        double[][] z = new double[B * outT][cOut];
        double[][] windows = new double[B * outT][C_IN * k];
        for (int s = 0; s < B; s++) {
            for (int t = 0; t < outT; t++) {
                for (int c = 0; c < C_IN; c++) {
                    for (int i = 0; i < k; i++) {
                        windows[s * outT + t][c * k + i] = x.getDouble(s, c, t + i);
                    }
                }
                for (int o = 0; o < cOut; o++) {
                    double asOp = b[o];
                    double asShape = b[o];
                    for (int c = 0; c < C_IN; c++) {
                        for (int i = 0; i < k; i++) {
                            asOp += flat[(i * C_IN + c) * cOut + o] * x.getDouble(s, c, t + i);
                            asShape += flat[(o * C_IN + c) * k + i] * x.getDouble(s, c, t + i);
                        }
                    }
                    z[s * outT + t][o] = out.getDouble(s, o, t);
                    opOrder = Math.max(opOrder, Math.abs(asOp - z[s * outT + t][o]));
                    shapeOrder = Math.max(shapeOrder, Math.abs(asShape - z[s * outT + t][o]));
                }
            }
        }
        assertThat(opOrder).isLessThan(1e-9);
        assertThat(shapeOrder).isGreaterThan(1e-3);
        Dl4jGraph graph = Dl4jNetworkMapper.map(net, "1d");
        assertThat(graph.description().layers()).extracting(l -> l.shape()).containsExactly("4x2x3", "2x4");
        Dl4jNode conv = graph.linear().get(0);
        float[] rows = conv.weightRows(w);
        for (int o = 0; o < cOut; o++) {
            for (int c = 0; c < C_IN; c++) {
                for (int i = 0; i < k; i++) {
                    assertThat((double) rows[(o * C_IN + c) * k + i]).isEqualTo(flat[(i * C_IN + c) * cOut + o], within(1e-6));
                }
            }
        }
        LayerProbe p = Dl4jProbe.compute(graph, x, Nd4j.rand(DataType.DOUBLE, B, 2)).get(0);
        assertThat(p.samples()).isEqualTo(B * outT);
        assertClose(p.outputMoment(), secondMoment(z), "H_b against DL4J's 1-D convolution");
        assertClose(p.inputMoment(), secondMoment(windows), "H_a against the windows over time");
        assertThat(p.outputGradientMoment()).isNotNull();
    }

    /**
     * Many positions: the moments run over core's ProbePositions (a seeded subset, the same for every sample
     * and every analysis), checked against DL4J's own output at exactly those positions.
     */
    @Test
    void largeOutputsAreSubsampledWithTheSharedFixedSeed() {
        int size = 30;
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(7)
                .dataType(DataType.DOUBLE).weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(C_OUT).activation(Activation.IDENTITY).build())
                .layer(new GlobalPoolingLayer.Builder(PoolingType.AVG).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(size, size, C_IN)).build());
        net.init();
        net.initGradientsView();
        INDArray x = Nd4j.rand(DataType.DOUBLE, B, C_IN, size, size);
        INDArray y = Nd4j.rand(DataType.DOUBLE, B, 2);
        Dl4jGraph graph = Dl4jNetworkMapper.map(net, "big");
        LayerProbe first = Dl4jProbe.compute(graph, x, y).get(0);
        LayerProbe second = Dl4jProbe.compute(graph, x, y).get(0);
        int outSize = size - 2;
        int[] chosen = ProbePositions.forLayer(outSize * outSize, B, 0);
        assertThat(chosen.length).isLessThan(outSize * outSize);
        assertThat(first.samples()).isEqualTo(B * chosen.length).isLessThanOrEqualTo(ProbePositions.MAX_ROWS);
        assertThat(second.inputMoment()).containsExactly(first.inputMoment());
        assertThat(second.outputGradientMoment()).containsExactly(first.outputGradientMoment());
        INDArray out = net.feedForward(x, false).get(1);
        double[][] z = new double[B * chosen.length][C_OUT];
        for (int s = 0; s < B; s++) {
            for (int p = 0; p < chosen.length; p++) {
                for (int o = 0; o < C_OUT; o++) {
                    z[s * chosen.length + p][o] = out.getDouble(s, o, chosen[p] / outSize, chosen[p] % outSize);
                }
            }
        }
        assertClose(first.outputMoment(), secondMoment(z), "H_b at the chosen positions");
    }

    private static double[][][][] kernel(INDArray w) {
        double[][][][] k = new double[C_OUT][C_IN][3][3];
        for (int o = 0; o < C_OUT; o++) {
            for (int c = 0; c < C_IN; c++) {
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        k[o][c][i][j] = w.getDouble(o, c, i, j);
                    }
                }
            }
        }
        return k;
    }

    static double[] secondMoment(double[][] v) {
        int d = v[0].length;
        double[] out = new double[d * d];
        for (double[] row : v) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    out[i * d + j] += row[i] * row[j] / v.length;
                }
            }
        }
        return out;
    }

    static double[] mean(double[][] v) {
        double[] out = new double[v[0].length];
        for (double[] row : v) {
            for (int i = 0; i < out.length; i++) {
                out[i] += row[i] / v.length;
            }
        }
        return out;
    }

    static void assertClose(float[] actual, double[] expected, String what) {
        assertThat(actual).as(what).hasSize(expected.length);
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        assertThat(scale).as(what + " is not trivially zero").isGreaterThan(1e-6);
        for (int k = 0; k < expected.length; k++) {
            assertThat((double) actual[k]).as(what + "[" + k + "]").isCloseTo(expected[k], within(1e-5 * scale));
        }
    }
}
