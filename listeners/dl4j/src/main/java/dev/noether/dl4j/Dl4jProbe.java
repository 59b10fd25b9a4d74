package dev.noether.dl4j;

import dev.noether.core.model.LayerProbe;
import dev.noether.dl4j.Dl4jNode.Kind;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.vertex.impl.ElementWiseVertex;
import org.deeplearning4j.nn.graph.vertex.impl.ScaleVertex;
import org.deeplearning4j.nn.graph.vertex.impl.ShiftVertex;
import org.deeplearning4j.nn.graph.vertex.impl.SubsetVertex;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The probe-batch moments of every linear layer (METRICS.md §5, §10), computed with ND4J so that only the
 * d × d matrices reach the heap: H_a = E[h_a h_aᵀ], H_b = E[h_b h_bᵀ] with h_b = W h_a + b, E[h_b], the
 * active fraction, and G_b = E[g_b g_bᵀ] with g_b = ∂ℓ_s/∂h_b the gradient of each sample's own loss. For a
 * convolution E[·] runs over (sample, position) pairs and h_a is the im2col patch ({@link ConvPatches}).
 *
 * <p>It runs after the update ({@code iterationDone}), in inference mode, over the graph in topological
 * order: each layer by DL4J on a copy of its input ({@code activate(x, false)}: dropout off, batch norm on
 * its running statistics), each vertex by its own {@code doForward}. The backward pass walks the nodes in
 * reverse with DL4J's own {@code backpropGradient}/{@code doBackward} for the layers and vertices that
 * keep samples apart (pooling, padding, convolutions, also those Noether does not read, add, concat, other
 * element-wise, scale, shift and subset vertices) and writes out the rest: the loss
 * gradient (DL4J's loss functions give each sample's own gradient, the summed gradient being their sum, so
 * g_b needs no rescaling), dense layers (g_a = Wᵀ g_b), activations, and batch norm at inference (slope
 * γ/σ; DL4J's own backward would use batch statistics and mix samples). Those DL4J calls overwrite the
 * network's gradient buffer, hence after the update only. Layers whose output reaches the loss only through
 * another unsupported node get no G_b.
 */
final class Dl4jProbe {
    private static final String GAMMA = BatchNormalizationParamInitializer.GAMMA;
    private static final String MEAN = BatchNormalizationParamInitializer.GLOBAL_MEAN;
    private static final String VARIANCE = BatchNormalizationParamInitializer.GLOBAL_VAR;
    private static final String LOG_STD = BatchNormalizationParamInitializer.GLOBAL_LOG_STD;
    /** Vertices Noether does not model whose DL4J backward keeps samples apart, so gradients pass through. */
    private static final Set<Class<?>> PER_SAMPLE_VERTICES = Set.of(ElementWiseVertex.class, ScaleVertex.class,
            ShiftVertex.class, SubsetVertex.class);
    /** Samples per im2col call: bounds the patch matrix of a wide convolution. */
    private static final int CHUNK = 32;

    private Dl4jProbe() {}

    /** The probes of every linear layer reached by {@code features}. */
    static List<LayerProbe> compute(Dl4jGraph graph, INDArray features, INDArray labels) {
        if (graph.nodes().isEmpty()) {
            return List.of();
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return new Pass(graph, features, labels).run();
        }
    }

    /** One forward and backward pass over the probe batch, with the moments gathered on the way. */
    private static final class Pass {
        private final Dl4jGraph graph;
        private final INDArray labels;
        private final int batch;
        private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        private final Map<String, INDArray> outputs = new HashMap<>();
        /** Each node's (pre-processed) inputs. */
        private final Map<String, INDArray[]> inputs = new HashMap<>();
        /** Pre-activations of dense layers (B × m) and of a conv layer's chosen rows, per chunk. */
        private final Map<String, INDArray> denseZ = new HashMap<>();
        private final Map<String, List<INDArray>> convZ = new HashMap<>();
        private final Map<String, ConvPatches> convPositions = new HashMap<>();
        private final Map<String, LayerProbe.Builder> probes = new HashMap<>();

        Pass(Dl4jGraph graph, INDArray features, INDArray labels) {
            this.graph = graph;
            this.labels = labels;
            this.batch = Math.toIntExact(features.size(0));
            for (String input : graph.inputs()) {
                outputs.put(input, features); // a graph with several inputs gets the probe on each: see Dl4jGraph
            }
        }

        List<LayerProbe> run() {
            for (Dl4jNode n : graph.nodes()) {
                forward(n);
            }
            backward();
            List<LayerProbe> out = new ArrayList<>();
            for (Dl4jNode n : graph.linear()) {
                LayerProbe.Builder p = probes.get(n.name());
                if (p != null) {
                    out.add(p.build());
                }
            }
            return out;
        }

        private void forward(Dl4jNode n) {
            INDArray[] in = new INDArray[n.sources().size()];
            for (int i = 0; i < in.length; i++) {
                in[i] = outputs.get(n.sources().get(i));
                if (in[i] == null) {
                    return; // an input that could not be computed: nothing downstream either
                }
            }
            if (n.layer() != null) {
                if (in.length != 1) {
                    return;
                }
                in[0] = n.preProcessor() == null ? in[0] : n.preProcessor().preProcess(in[0].dup(), batch, mgr);
            }
            inputs.put(n.name(), in);
            INDArray out;
            try {
                out = switch (n.kind()) {
                    case DENSE, OUTPUT -> dense(n, in[0]);
                    case CONV -> conv(n, in[0]);
                    case ACTIVATION, BATCH_NORM, DROPOUT, POOLING, UNSUPPORTED -> n.layer() != null
                            ? n.layer().activate(in[0].dup(), false, mgr) : vertex(n, in);
                    case ADD, CONCAT -> vertex(n, in);
                };
            } catch (RuntimeException e) {
                if (n.kind() != Kind.UNSUPPORTED) {
                    throw e;
                }
                return; // DL4J could not run a node Noether does not model on its own: nothing downstream
            }
            if (out != null) {
                outputs.put(n.name(), out);
            }
        }

        private INDArray vertex(Dl4jNode n, INDArray[] in) {
            INDArray[] copies = new INDArray[in.length];
            for (int i = 0; i < in.length; i++) {
                copies[i] = in[i].dup();
            }
            n.vertex().setInputs(copies);
            return n.vertex().doForward(false, mgr);
        }

        private INDArray dense(Dl4jNode n, INDArray in) {
            if (in.rank() != 2 || in.size(1) != n.inputs()) {
                return null;
            }
            INDArray w = n.layer().getParam("W");
            INDArray z = in.castTo(w.dataType()).mmul(w);
            if (n.hasBias()) {
                z.addiRowVector(n.layer().getParam("b"));
            }
            denseZ.put(n.name(), z);
            INDArray a = n.activation().getActivation(z.dup(), false);
            probes.put(n.name(), LayerProbe.builder(n.linearIndex()).samples(batch)
                    .inputMoment(HostCopy.rowMajor(moment(in, in.size(0))))
                    .outputMoment(HostCopy.rowMajor(moment(z, z.size(0))))
                    .outputMean(HostCopy.rowMajor(z.mean(0)))
                    .activeFraction(HostCopy.rowMajor(activeFraction(n, z))));
            return a;
        }

        /** Runs the convolution by DL4J and gathers the patch moments of the chosen positions, chunk by chunk. */
        private INDArray conv(Dl4jNode n, INDArray in) {
            INDArray out = n.layer().activate(in.dup(), false, mgr);
            ConvGeometry g = n.conv();
            INDArray image = g.asImage(in);
            long outH = out.size(2);
            long outW = out.rank() == 3 ? 1 : out.size(3);
            ConvPatches patches = ConvPatches.of(g, Math.toIntExact(outH * outW), batch, n.linearIndex());
            INDArray w = n.layer().getParam("W");
            INDArray wRows = g.weightMatrix(w); // (C_out, C_in·∏k)
            INDArray b = n.hasBias() ? n.layer().getParam("b").reshape(1, n.outputs()) : null;
            INDArray ha = null;
            INDArray hb = null;
            INDArray sum = null;
            INDArray active = null;
            List<INDArray> zs = new ArrayList<>();
            for (int from = 0; from < batch; from += CHUNK) {
                int to = Math.min(batch, from + CHUNK);
                INDArray p = patches.patches(rowsOf(image, from, to).castTo(w.dataType()), outH, outW);
                INDArray z = p.mmul(wRows.transpose());
                if (b != null) {
                    z.addiRowVector(b);
                }
                zs.add(z);
                ha = add(ha, p.transpose().mmul(p));
                hb = add(hb, z.transpose().mmul(z));
                sum = add(sum, z.sum(0));
                active = add(active, activeFraction(n, z).mul(z.size(0)));
            }
            long rows = (long) batch * patches.positions();
            convZ.put(n.name(), zs);
            convPositions.put(n.name(), patches);
            probes.put(n.name(), LayerProbe.builder(n.linearIndex()).samples(Math.toIntExact(rows))
                    .inputMoment(HostCopy.rowMajor(ha.divi(rows)))
                    .outputMoment(HostCopy.rowMajor(hb.divi(rows)))
                    .outputMean(HostCopy.rowMajor(sum.divi(rows)))
                    .activeFraction(HostCopy.rowMajor(active.divi(rows))));
            return out;
        }

        private void backward() {
            Map<String, INDArray> eps = new HashMap<>(); // ∂ℓ_s/∂(output of node), one sample per leading index
            Set<String> unknown = new HashSet<>(); // outputs some of whose consumers could not pass a gradient on
            List<Dl4jNode> nodes = graph.nodes();
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Dl4jNode n = nodes.get(i);
                INDArray[] in = inputs.get(n.name());
                if (in == null) {
                    unknown.addAll(n.sources());
                    continue;
                }
                INDArray e = unknown.contains(n.name()) ? null : eps.get(n.name());
                INDArray[] back = e == null && n.kind() != Kind.OUTPUT ? null : backward(n, in, e);
                for (int j = 0; j < n.sources().size(); j++) {
                    String input = n.sources().get(j);
                    INDArray g = back == null || back.length != n.sources().size() ? null : back[j];
                    if (g == null) {
                        unknown.add(input);
                    } else if (!unknown.contains(input)) {
                        eps.merge(input, g, INDArray::add);
                    }
                }
            }
        }

        /** ∂ℓ_s/∂(each input of n) from ∂ℓ_s/∂(output of n), or null where it cannot be computed. */
        private INDArray[] backward(Dl4jNode n, INDArray[] in, INDArray e) {
            boolean vertex = n.layer() == null;
            if (vertex && (n.kind() != Kind.UNSUPPORTED || PER_SAMPLE_VERTICES.contains(n.vertex().getClass()))) {
                n.vertex().setEpsilon(e.dup());
                return n.vertex().doBackward(false, mgr).getSecond();
            }
            INDArray g = switch (n.kind()) {
                case OUTPUT -> {
                    INDArray z = denseZ.get(n.name());
                    yield z == null || labels == null ? null
                            : denseBackward(n, n.lossFunction().computeGradient(labels, z.dup(), n.activation(), null));
                }
                case DENSE -> {
                    INDArray z = denseZ.get(n.name());
                    yield z == null ? null : denseBackward(n, n.activation().backprop(z.dup(), e).getFirst());
                }
                case CONV -> convBackward(n, e);
                case ACTIVATION -> n.activation().backprop(in[0].dup(), e.dup()).getFirst();
                case BATCH_NORM -> Broadcast.mul(e, batchNormSlope(n).castTo(e.dataType()), e.ulike(), 1);
                case DROPOUT -> e;
                case POOLING -> n.layer().backpropGradient(e.dup(), mgr).getSecond();
                // convolutions Noether does not read (depthwise, separable, transposed, channels-last) still
                // keep samples apart: DL4J's own backward passes g on
                case UNSUPPORTED -> !vertex && n.conf() instanceof ConvolutionLayer
                        ? n.layer().backpropGradient(e.dup(), mgr).getSecond() : null;
                case ADD, CONCAT -> null;
            };
            if (g != null && n.preProcessor() != null) {
                g = n.preProcessor().backprop(g, batch, mgr);
            }
            return new INDArray[] {g};
        }

        /** G_b from g_b (B × m); then g_a = Wᵀ g_b per sample, i.e. g_b Wᵀ in DL4J's (nIn, nOut) layout. */
        private INDArray denseBackward(Dl4jNode n, INDArray gb) {
            probes.get(n.name()).outputGradientMoment(HostCopy.rowMajor(moment(gb, gb.size(0))));
            return gb.mmul(n.layer().getParam("W").transpose());
        }

        private INDArray convBackward(Dl4jNode n, INDArray e) {
            ConvPatches patches = convPositions.get(n.name());
            if (patches != null) {
                INDArray gb = null;
                List<INDArray> zs = convZ.get(n.name());
                long rows = 0;
                for (int c = 0, from = 0; c < zs.size(); c++, from += CHUNK) {
                    INDArray z = zs.get(c);
                    INDArray eRows = patches.atPositions(rowsOf(n.conv().asImage(e), from, Math.min(batch, from + CHUNK)));
                    INDArray delta = n.activation().backprop(z.dup(), eRows.castTo(z.dataType())).getFirst();
                    gb = add(gb, delta.transpose().mmul(delta));
                    rows += delta.size(0);
                }
                probes.get(n.name()).outputGradientMoment(HostCopy.rowMajor(gb.divi(rows)));
            }
            // a layer reading only the network input passes nothing on: skip DL4J's backward (the costliest part)
            return graph.inputs().containsAll(n.sources()) ? null : n.layer().backpropGradient(e.dup(), mgr).getSecond();
        }

        /**
         * The share of rows where the neuron is active after the layer's activation: its own, or when that is
         * the identity, the {@code ActivationLayer} that alone reads it, possibly through a batch norm that alone
         * reads it (conv-BN-ReLU: the channel is active where γ(z − μ)/σ + β > 0 at inference).
         */
        private INDArray activeFraction(Dl4jNode n, INDArray z) {
            INDArray a = z.dup();
            IActivation fn = n.activation();
            if (ActivationMapping.of(fn) == dev.noether.core.model.Activation.IDENTITY) {
                Dl4jNode next = soleConsumer(n);
                if (next != null && next.kind() == Kind.BATCH_NORM && next.layer() != null) {
                    a = batchNormRows(next, a);
                    next = soleConsumer(next);
                }
                if (next != null && next.kind() == Kind.ACTIVATION) {
                    fn = next.activation();
                }
            }
            return fn.getActivation(a, false).neq(0).castTo(z.dataType()).mean(0);
        }

        private Dl4jNode soleConsumer(Dl4jNode n) {
            List<String> next = graph.consumers(n.name());
            if (next.size() != 1) {
                return null;
            }
            for (Dl4jNode c : graph.nodes()) {
                if (c.name().equals(next.get(0))) {
                    return c.preProcessor() == null ? c : null;
                }
            }
            return null;
        }
    }

    /** Batch norm at inference on rows × channels: (z − μ)·γ/σ + β per column. */
    private static INDArray batchNormRows(Dl4jNode bn, INDArray z) {
        BatchNormalization conf = (BatchNormalization) bn.conf();
        long m = z.size(1);
        DataType type = z.dataType();
        INDArray beta = conf.isLockGammaBeta() ? Nd4j.valueArrayOf(new long[] {1, m}, conf.getBeta(), type)
                : bn.layer().getParam(BatchNormalizationParamInitializer.BETA).castTo(type).reshape(1, m);
        return z.subRowVector(bn.layer().getParam(MEAN).castTo(type).reshape(1, m))
                .muliRowVector(batchNormSlope(bn).castTo(type).reshape(1, m))
                .addiRowVector(beta);
    }

    private static INDArray rowsOf(INDArray a, int from, int to) {
        if (from == 0 && to == a.size(0)) {
            return a;
        }
        org.nd4j.linalg.indexing.INDArrayIndex[] index = new org.nd4j.linalg.indexing.INDArrayIndex[a.rank()];
        index[0] = org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to);
        for (int d = 1; d < index.length; d++) {
            index[d] = org.nd4j.linalg.indexing.NDArrayIndex.all();
        }
        return a.get(index);
    }

    private static INDArray add(INDArray sum, INDArray term) {
        return sum == null ? term : sum.addi(term);
    }

    /** E[v vᵀ] over the rows of v: vᵀv / rows, d × d. */
    private static INDArray moment(INDArray v, long rows) {
        return v.transpose().mmul(v).divi(rows);
    }

    /**
     * The slope of batch normalization at inference, γ / σ per channel, where DL4J 1.0.0-M2.1 computes
     * y = γ (x − μ) / σ + β with its running μ and σ = √(var + ε); when it keeps log₁₀ of the standard
     * deviation instead of the variance, var = (10^log10std)² and ε is still added (read from its bytecode,
     * checked in {@code Dl4jProbeTest} against DL4J's own inference).
     */
    private static INDArray batchNormSlope(Dl4jNode n) {
        BatchNormalization conf = (BatchNormalization) n.conf();
        INDArray variance = conf.isUseLogStd()
                ? Transforms.pow(Transforms.exp(param(n, LOG_STD).mul(Math.log(10)), false), 2, false)
                : param(n, VARIANCE);
        INDArray std = Transforms.sqrt(variance.add(conf.getEps()), false);
        INDArray gamma = conf.isLockGammaBeta() ? Nd4j.valueArrayOf(std.shape(), conf.getGamma(), DataType.DOUBLE)
                : param(n, GAMMA);
        return gamma.div(std).reshape(std.length());
    }

    private static INDArray param(Dl4jNode n, String name) {
        return n.layer().getParam(name).castTo(DataType.DOUBLE);
    }
}
