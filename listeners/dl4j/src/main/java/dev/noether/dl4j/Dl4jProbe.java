package dev.noether.dl4j;

import dev.noether.core.model.LayerProbe;
import dev.noether.core.probe.MomentScale;
import dev.noether.core.probe.ProbeAllowance;
import dev.noether.core.probe.ProbeGap;
import dev.noether.core.probe.ProbePlan;
import dev.noether.core.probe.ProbeResult;
import dev.noether.core.probe.ProbeWorkload;
import dev.noether.dl4j.Dl4jNode.Kind;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.api.Layer;
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
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
 *
 * <p>Several inputs and outputs: each network input reads its own features (and mask), each output layer its own
 * labels (and label mask), and the per-sample loss is the sum of the outputs' losses, as DL4J's score is. The
 * recurrent vertices that read the graph's own inputs (LastTimeStepVertex, DuplicateToTimeSeriesVertex) and
 * PreprocessorVertex run here on the probe's arrays, masks propagated along time series as DL4J does. Layers
 * Noether does not model run by DL4J with their mask set for the pass (and reset after). A node that cannot be
 * run, differentiated through, or fed labels is left out with a named {@link ProbeGap}; the rest is still
 * measured. The pass follows a {@link ProbePlan}: its first samples, and seeded positions of each convolution.
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

    /** The probes of every linear layer reached by {@code features} (one input, one output, no masks, no limit). */
    static List<LayerProbe> compute(Dl4jGraph graph, INDArray features, INDArray labels) {
        return compute(graph, ProbeBatch.of(features, labels), ProbeAllowance.unlimited(), Map.of()).layers();
    }

    /**
     * The probes of every linear layer reached by {@code batch}, planned within {@code allowance} from the layer
     * shapes and the convolutions' output {@code positions} (by node name; a layer not in it counts as one).
     */
    static ProbeResult compute(Dl4jGraph graph, ProbeBatch batch, ProbeAllowance allowance,
                               Map<String, Integer> positions) {
        if (graph.nodes().isEmpty()) {
            return ProbeResult.unplanned(List.of());
        }
        ProbePlan plan = allowance.plan(workload(graph, batch.samples(), batch.steps(), positions));
        if (plan.skipped()) {
            return ProbeResult.skipped(plan);
        }
        try (MemoryWorkspace ignored = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
            return new Pass(graph, batch.first(plan.samples()), plan, allowance).run();
        }
    }

    /**
     * The cost of a pass over {@code samples} samples of {@code steps} time steps, from the layer shapes and the
     * convolutions' positions: each recurrent cell as W = [W_x W_h] over every step (also one the probe does not
     * unroll: DL4J still runs it), and an RnnOutputLayer over every step.
     */
    static ProbeWorkload workload(Dl4jGraph graph, int samples, int steps, Map<String, Integer> positions) {
        ProbeWorkload.Builder work = ProbeWorkload.builder(samples);
        for (Dl4jNode n : graph.nodes()) {
            if (n.kind() == Kind.RECURRENT) {
                for (int cell = 0; cell < n.cellPrefixes().size(); cell++) {
                    work.sequence(n.gates() * n.units(), n.cellInputs() + n.units(), steps);
                }
            } else if (n.isLinear() && n.conv() != null) {
                work.conv(n.outputs(), n.inputs(), positions.getOrDefault(n.name(), 0));
            } else if (n.isLinear()) {
                if (n.conf() instanceof RnnOutputLayer) {
                    work.sequence(n.outputs(), n.inputs(), steps);
                } else {
                    work.dense(n.outputs(), n.inputs());
                }
            }
        }
        return work.build();
    }

    /** One forward and backward pass over the probe batch, with the moments gathered on the way. */
    private static final class Pass {
        private final Dl4jGraph graph;
        private final ProbePlan plan;
        private final ProbeAllowance allowance;
        private final int batch;
        private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        private final Map<String, INDArray> outputs = new HashMap<>();
        /** The time-series mask (B, T) of each node's output, where it has one. */
        private final Map<String, INDArray> masks = new HashMap<>();
        private final Map<String, INDArray> labels = new HashMap<>();
        private final Map<String, INDArray> labelMasks = new HashMap<>();
        /** Each node's (pre-processed) inputs. */
        private final Map<String, INDArray[]> inputs = new HashMap<>();
        /** Pre-activations of dense layers (B × m) and of a conv layer's chosen rows, per chunk. */
        private final Map<String, INDArray> denseZ = new HashMap<>();
        private final Map<String, List<INDArray>> convZ = new HashMap<>();
        private final Map<String, ConvPatches> convPositions = new HashMap<>();
        /** The step each sample's last-step vertex took, by vertex. */
        private final Map<String, int[]> lastSteps = new HashMap<>();
        /** A dense layer over a time series (RnnOutputLayer): its unmasked (sequence, step) rows of (B·T). */
        private final Map<String, TimeRows> timeRows = new HashMap<>();
        /** The recurrent layers unrolled on the probe batch (their g_b needs the recurrence again). */
        private final Map<String, RecurrentProbe> unrolled = new HashMap<>();
        private final Map<String, LayerProbe.Builder> probes = new HashMap<>();
        private final Map<String, ProbeGap> gaps = new LinkedHashMap<>();
        private boolean outOfTime;

        Pass(Dl4jGraph graph, ProbeBatch probe, ProbePlan plan, ProbeAllowance allowance) {
            this.graph = graph;
            this.plan = plan;
            this.allowance = allowance;
            this.batch = probe.samples();
            List<String> in = graph.inputs();
            for (int i = 0; i < in.size(); i++) {
                INDArray f = i < probe.features().length ? probe.features()[i] : null;
                if (f != null) {
                    outputs.put(in.get(i), f);
                    masks.put(in.get(i), i < probe.featureMasks().length ? probe.featureMasks()[i] : null);
                } else {
                    gap(in.get(i), "the probe batch has no features for this network input");
                }
            }
            List<String> out = graph.outputs();
            for (int i = 0; i < out.size(); i++) {
                if (probe.labels() != null && i < probe.labels().length && probe.labels()[i] != null) {
                    labels.put(out.get(i), probe.labels()[i]);
                    labelMasks.put(out.get(i), i < probe.labelMasks().length ? probe.labelMasks()[i] : null);
                }
            }
        }

        ProbeResult run() {
            for (Dl4jNode n : graph.nodes()) {
                if (allowance.exhausted(plan)) {
                    gap(n.name(), ProbeGap.OUT_OF_TIME);
                    outOfTime = true;
                    break;
                }
                forward(n);
            }
            if (!outOfTime) {
                backward();
            }
            List<LayerProbe> out = new ArrayList<>();
            for (Dl4jNode n : graph.nodes()) {
                LayerProbe.Builder p = n.linearIndex() >= 0 ? probes.get(n.name()) : null;
                if (p != null) {
                    out.add(p.build());
                }
            }
            return new ProbeResult(out, plan, List.copyOf(gaps.values()));
        }

        private void gap(String node, String reason) {
            gaps.putIfAbsent(node, new ProbeGap(node, reason));
        }

        private void forward(Dl4jNode n) {
            INDArray[] in = new INDArray[n.sources().size()];
            for (int i = 0; i < in.length; i++) {
                in[i] = outputs.get(n.sources().get(i));
                if (in[i] == null) {
                    return; // an input that could not be computed (its gap is named): nothing downstream either
                }
            }
            INDArray mask = firstMask(n);
            INDArray out;
            try {
                if (n.layer() != null) {
                    if (in.length != 1) {
                        gap(n.name(), "a layer reading " + in.length + " inputs");
                        return;
                    }
                    in[0] = n.preProcessor() == null ? in[0] : n.preProcessor().preProcess(in[0].dup(), batch, mgr);
                }
                inputs.put(n.name(), in);
                out = switch (n.kind()) {
                    case DENSE, OUTPUT -> in[0].rank() == 3 ? denseOverTime(n, in[0], mask) : dense(n, in[0]);
                    case CONV -> conv(n, in[0]);
                    case RECURRENT -> recurrent(n, in[0], mask);
                    case ACTIVATION, BATCH_NORM, DROPOUT, POOLING, UNSUPPORTED -> n.layer() != null
                            ? layer(n, in[0], mask) : vertex(n, in);
                    case ADD, CONCAT -> vertex(n, in);
                    case LAST_TIME_STEP -> lastTimeStep(n, in[0]);
                    case DUPLICATE_TO_TIME -> duplicateToTime(n, in[0]);
                    case PREPROCESSOR -> n.preProcessor().preProcess(in[0].dup(), batch, mgr);
                    case QUERY -> attention(n, in[0], mask);
                    case KEY, VALUE, ATTENTION, ATTENTION_OUTPUT -> null;
                };
            } catch (RuntimeException e) {
                inputs.remove(n.name());
                gap(n.name(), (n.kind() == Kind.UNSUPPORTED ? n.reason() + ", and DL4J" : "DL4J")
                        + " could not run it on the probe batch (" + e + "): the layers after it get no moments");
                return;
            }
            if (out != null) {
                outputs.put(n.name(), out);
                masks.put(n.name(), outputMask(n, out, mask));
            }
        }

        /**
         * A self-attention layer runs whole in DL4J (one SameDiff graph): its output is the layer's, under the DL4J
         * name its readers read; its projections get no moments (a gap says so) and no gradient passes back.
         */
        private INDArray attention(Dl4jNode n, INDArray in, INDArray mask) {
            String block = Dl4jAttention.block(n);
            INDArray out = layer(n, in, mask);
            outputs.put(block, out);
            masks.put(block, outputMask(n, out, mask));
            gap(block, "the projections of a self-attention layer are not probed (DL4J runs the layer as one "
                    + "SameDiff graph): no CRH/PAH/FDT for them, and the layers before it get no G_b");
            return null;
        }

        /** The mask of a node's first input that has one. */
        private INDArray firstMask(Dl4jNode n) {
            for (String source : n.sources()) {
                INDArray m = masks.get(source);
                if (m != null) {
                    return m;
                }
            }
            return null;
        }

        /**
         * The time-series mask of a node's output: its input's while the output is still a time series (rank 3 of
         * the same length), the named input's for DuplicateToTimeSeriesVertex, none once time is gone.
         */
        private INDArray outputMask(Dl4jNode n, INDArray out, INDArray inputMask) {
            if (n.kind() == Kind.DUPLICATE_TO_TIME) {
                return masks.get(n.timeInput());
            }
            if (inputMask == null || out.rank() != 3 || out.size(2) != inputMask.size(1)) {
                return null;
            }
            return inputMask;
        }

        /** A layer Noether runs but does not measure, by DL4J, with its time-series mask for the pass. */
        private INDArray layer(Dl4jNode n, INDArray in, INDArray mask) {
            Layer layer = n.layer();
            INDArray before = layer.getMaskArray();
            layer.setMaskArray(mask != null && in.rank() == 3 && mask.size(0) == in.size(0) ? mask : null);
            try {
                return layer.activate(in.dup(), false, mgr);
            } finally {
                layer.setMaskArray(before);
            }
        }

        /** Each sample's last step that its time input's mask keeps (the last step without a mask), as DL4J picks it. */
        private INDArray lastTimeStep(Dl4jNode n, INDArray in) {
            long steps = in.size(2);
            INDArray mask = masks.get(n.timeInput());
            int[] last = new int[batch];
            INDArray out = Nd4j.create(in.dataType(), in.size(0), in.size(1));
            for (int s = 0; s < batch; s++) {
                int t = (int) steps - 1;
                if (mask != null) {
                    while (t > 0 && mask.getDouble(s, t) == 0) {
                        t--;
                    }
                }
                last[s] = t;
                out.putRow(s, in.get(NDArrayIndex.point(s), NDArrayIndex.all(), NDArrayIndex.point(t)));
            }
            lastSteps.put(n.name(), last);
            return out;
        }

        /** (B, C) repeated over the time steps of its time input: (B, C, T). */
        private INDArray duplicateToTime(Dl4jNode n, INDArray in) {
            INDArray series = outputs.get(n.timeInput());
            if (series == null || series.rank() != 3) {
                throw new IllegalStateException("its time input '" + n.timeInput() + "' is not a time series in the probe");
            }
            long steps = series.size(2);
            INDArray out = Nd4j.create(in.dataType(), in.size(0), in.size(1), steps);
            for (long t = 0; t < steps; t++) {
                out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)).assign(in);
            }
            return out;
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
            double sa = scaleOf(in);
            double sb = scaleOf(z);
            probes.put(n.name(), LayerProbe.builder(n.linearIndex()).samples(batch)
                    .inputMoment(HostCopy.rowMajor(moment(scaled(in, sa), in.size(0))))
                    .outputMoment(HostCopy.rowMajor(moment(scaled(z, sb), z.size(0))))
                    .outputMean(HostCopy.rowMajor(scaled(z, sb).mean(0)))
                    .activeFraction(HostCopy.rowMajor(activeFraction(n, z)))
                    .scales(sa, sb, 1));
            return a;
        }

        /**
         * A dense layer over (sequence, time step) samples (DL4J's RnnOutputLayer, METRICS.md §12): (B, C, T) read
         * as B·T rows, masked steps excluded from the moments and the loss, a fixed random subset of
         * the plan's rows per layer for the moments beyond that (as convolution positions, §10; {@link TimeRows}).
         */
        private INDArray denseOverTime(Dl4jNode n, INDArray in, INDArray mask) {
            if (in.size(1) != n.inputs()) {
                return null;
            }
            long b = in.size(0);
            long steps = in.size(2);
            INDArray w = n.layer().getParam("W");
            INDArray rows = in.permute(0, 2, 1).dup('c').reshape(b * steps, in.size(1)).castTo(w.dataType());
            int[] kept = TimeRows.unmasked(mask, b, steps);
            INDArray x = TimeRows.rowsAt(rows, kept);
            INDArray z = x.mmul(w);
            if (n.hasBias()) {
                z.addiRowVector(n.layer().getParam("b"));
            }
            TimeRows t = new TimeRows(b, steps, kept, TimeRows.subset(kept.length, plan.maxRows()));
            timeRows.put(n.name(), t);
            denseZ.put(n.name(), z);
            INDArray xs = t.sample(x);
            INDArray zs = t.sample(z);
            double sa = scaleOf(xs);
            double sb = scaleOf(zs);
            probes.put(n.name(), LayerProbe.builder(n.linearIndex()).samples(Math.toIntExact(xs.size(0)))
                    .inputMoment(HostCopy.rowMajor(moment(scaled(xs, sa), xs.size(0))))
                    .outputMoment(HostCopy.rowMajor(moment(scaled(zs, sb), zs.size(0))))
                    .outputMean(HostCopy.rowMajor(scaled(zs, sb).mean(0)))
                    .scales(sa, sb, 1));
            INDArray all = rows.mmul(w);
            if (n.hasBias()) {
                all.addiRowVector(n.layer().getParam("b"));
            }
            INDArray a = n.activation().getActivation(all, false);
            return a.reshape(b, steps, a.size(1)).permute(0, 2, 1).dup('c');
        }

        /**
         * A recurrent layer: DL4J's own pass gives what the layers above read; an LSTM or SimpleRnn is also
         * unrolled ({@link RecurrentProbe}), checked against DL4J's h on the unmasked steps, and measured over its
         * (sequence, step) rows (METRICS.md §12).
         */
        private INDArray recurrent(Dl4jNode n, INDArray in, INDArray mask) {
            INDArray out = layer(n, in, mask);
            String why = RecurrentProbe.unsupportedReason(n);
            if (why != null || in.rank() != 3 || out.rank() != 3) {
                gap(n.name(), (why != null ? why : "its input or output is not a time series") + ": no moments for it");
                return out;
            }
            RecurrentProbe unroll = RecurrentProbe.of(n);
            INDArray ours = unroll.forward(in);
            long b = in.size(0);
            long steps = in.size(2);
            int[] kept = TimeRows.unmasked(mask, b, steps);
            TimeRows t = new TimeRows(b, steps, kept, TimeRows.subset(kept.length, plan.maxRows()));
            INDArray theirs = t.rows(out).castTo(DataType.DOUBLE);
            double difference = theirs.sub(t.rows(ours).castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            if (!(difference <= 1e-3 * Math.max(1, theirs.amaxNumber().doubleValue()))) {
                gap(n.name(), "the probe's unrolled recurrence differs from DL4J's output (max |Δh| = " + difference
                        + "): no moments for it");
                return out;
            }
            INDArray xs = t.sample(TimeRows.rowsAt(unroll.inputRows(), kept));
            INDArray zs = t.sample(TimeRows.rowsAt(unroll.outputRows(), kept));
            double sa = scaleOf(xs);
            double sb = scaleOf(zs);
            probes.put(n.name(), LayerProbe.builder(n.linearIndex()).samples(Math.toIntExact(xs.size(0)))
                    .inputMoment(HostCopy.rowMajor(moment(scaled(xs, sa), xs.size(0))))
                    .outputMoment(HostCopy.rowMajor(moment(scaled(zs, sb), zs.size(0))))
                    .outputMean(HostCopy.rowMajor(scaled(zs, sb).mean(0)))
                    .scales(sa, sb, 1));
            unrolled.put(n.name(), unroll);
            timeRows.put(n.name(), t);
            return out;
        }

        /** Runs the convolution by DL4J and gathers the patch moments of the chosen positions, chunk by chunk. */
        private INDArray conv(Dl4jNode n, INDArray in) {
            INDArray out = n.layer().activate(in.dup(), false, mgr);
            ConvGeometry g = n.conv();
            INDArray image = g.asImage(in);
            long outH = out.size(2);
            long outW = out.rank() == 3 ? 1 : out.size(3);
            ConvPatches patches = ConvPatches.of(g, plan.positions(Math.toIntExact(outH * outW), n.linearIndex()));
            INDArray w = n.layer().getParam("W");
            INDArray wRows = g.weightMatrix(w); // (C_out, C_in·∏k)
            INDArray b = n.hasBias() ? n.layer().getParam("b").reshape(1, n.outputs()) : null;
            INDArray ha = null;
            INDArray hb = null;
            INDArray sum = null;
            INDArray active = null;
            List<INDArray> zs = new ArrayList<>();
            long rows = (long) batch * patches.positions();
            // a patch holds input values and padding zeros: the input's largest value bounds it
            double sa = MomentScale.of(image.amaxNumber().doubleValue(), rows);
            for (int from = 0; from < batch; from += CHUNK) {
                int to = Math.min(batch, from + CHUNK);
                INDArray p = scaled(patches.patches(rowsOf(image, from, to).castTo(w.dataType()), outH, outW), sa);
                INDArray z = p.mmul(wRows.transpose()).muli(sa); // z of the unscaled patches (sa: a power of two)
                if (b != null) {
                    z.addiRowVector(b);
                }
                zs.add(z);
                ha = add(ha, p.transpose().mmul(p));
            }
            double sb = 1;
            for (INDArray z : zs) {
                sb = Math.max(sb, MomentScale.of(z.amaxNumber().doubleValue(), rows));
            }
            for (INDArray z : zs) {
                INDArray zScaled = scaled(z, sb);
                hb = add(hb, zScaled.transpose().mmul(zScaled));
                sum = add(sum, zScaled.sum(0));
                active = add(active, activeFraction(n, z).mul(z.size(0)));
            }
            convZ.put(n.name(), zs);
            convPositions.put(n.name(), patches);
            probes.put(n.name(), LayerProbe.builder(n.linearIndex()).samples(Math.toIntExact(rows))
                    .inputMoment(HostCopy.rowMajor(ha.divi(rows)))
                    .outputMoment(HostCopy.rowMajor(hb.divi(rows)))
                    .outputMean(HostCopy.rowMajor(sum.divi(rows)))
                    .activeFraction(HostCopy.rowMajor(active.divi(rows)))
                    .scales(sa, sb, 1));
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
                boolean output = graph.outputs().contains(n.name());
                INDArray[] back = null;
                if (e != null || output) {
                    try {
                        back = backward(n, in, e, output);
                    } catch (RuntimeException failure) {
                        gap(n.name(), "DL4J could not pass the per-sample gradient back through it (" + failure
                                + "): the layers before it get no G_b");
                    }
                }
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

        /**
         * ∂ℓ_s/∂(each input of n) from ∂ℓ_s/∂(output of n) ({@code e}, null for an output layer that only starts
         * a gradient), or null where it cannot be computed (a gap names why, when layers before it lose G_b).
         */
        private INDArray[] backward(Dl4jNode n, INDArray[] in, INDArray e, boolean output) {
            boolean vertex = n.layer() == null;
            if (vertex && (n.kind() == Kind.ADD || n.kind() == Kind.CONCAT
                    || n.kind() == Kind.UNSUPPORTED && PER_SAMPLE_VERTICES.contains(n.vertex().getClass()))) {
                n.vertex().setEpsilon(e.dup());
                return n.vertex().doBackward(false, mgr).getSecond();
            }
            INDArray g = switch (n.kind()) {
                case OUTPUT -> {
                    INDArray z = denseZ.get(n.name());
                    INDArray y = labels.get(n.name());
                    TimeRows t = timeRows.get(n.name());
                    if (y == null) {
                        gap(n.name(), "the probe batch has no labels for this output: no loss gradient starts here");
                    }
                    if (z == null || y == null) {
                        yield null;
                    }
                    if (t != null) { // masked steps are already left out of the rows
                        yield t.scatter(denseBackward(n, t, n.lossFunction().computeGradient(t.rows(y).castTo(z.dataType()),
                                z.dup(), n.activation(), null)));
                    }
                    yield denseBackward(n,
                            n.lossFunction().computeGradient(y, z.dup(), n.activation(), labelMasks.get(n.name())));
                }
                case DENSE -> {
                    INDArray z = denseZ.get(n.name());
                    TimeRows t = timeRows.get(n.name());
                    if (z != null && t != null) {
                        yield t.scatter(denseBackward(n, t, n.activation().backprop(z.dup(), t.rows(e).castTo(z.dataType())).getFirst()));
                    }
                    yield z == null ? null : denseBackward(n, n.activation().backprop(z.dup(), e).getFirst());
                }
                case CONV -> convBackward(n, e);
                case ACTIVATION -> n.activation().backprop(in[0].dup(), e.dup()).getFirst();
                case BATCH_NORM -> Broadcast.mul(e, batchNormSlope(n).castTo(e.dataType()), e.ulike(), 1);
                case DROPOUT -> e;
                case POOLING -> n.layer().backpropGradient(e.dup(), mgr).getSecond();
                case LAST_TIME_STEP -> lastTimeStepBackward(n, in[0], e);
                case DUPLICATE_TO_TIME -> e.sum(2);
                case PREPROCESSOR -> n.preProcessor().backprop(e.dup(), batch, mgr);
                // convolutions Noether does not read (depthwise, separable, transposed, channels-last) still
                // keep samples apart: DL4J's own backward passes g on
                case UNSUPPORTED -> {
                    if (!vertex && n.conf() instanceof ConvolutionLayer) {
                        yield n.layer().backpropGradient(e.dup(), mgr).getSecond();
                    }
                    if (reachesLinearLayer(n)) {
                        gap(n.name(), n.reason() + (output ? ": no per-sample loss gradient starts there"
                                : ": no per-sample gradient passes back through it") + ", so the layers before it get no G_b");
                    }
                    yield null;
                }
                case RECURRENT -> {
                    RecurrentProbe unroll = unrolled.get(n.name());
                    if (unroll != null && e != null && e.rank() == 3) {
                        TimeRows t = timeRows.get(n.name());
                        INDArray[] back = unroll.backward(e);
                        INDArray gs = t.sample(TimeRows.rowsAt(back[0], t.kept()));
                        double sg = scaleOf(gs);
                        probes.get(n.name()).gradientScale(sg)
                                .outputGradientMoment(HostCopy.rowMajor(moment(scaled(gs, sg), gs.size(0))));
                        yield back[1];
                    }
                    if (reachesLinearLayer(n) || output) {
                        gap(n.name(), "a recurrent layer passes no per-sample gradient back in the probe yet, so the "
                                + "layers before it get no G_b");
                    }
                    yield null;
                }
                case ADD, CONCAT, QUERY, KEY, VALUE, ATTENTION, ATTENTION_OUTPUT -> null;
            };
            if (g != null && n.preProcessor() != null && !vertex) {
                g = n.preProcessor().backprop(g, batch, mgr);
            }
            return new INDArray[] {g};
        }

        /** ε of (B, C) scattered back to each sample's chosen step of (B, C, T). */
        private INDArray lastTimeStepBackward(Dl4jNode n, INDArray in, INDArray e) {
            int[] last = lastSteps.get(n.name());
            INDArray out = Nd4j.zeros(e.dataType(), in.size(0), in.size(1), in.size(2));
            for (int s = 0; s < last.length; s++) {
                out.get(NDArrayIndex.point(s), NDArrayIndex.all(), NDArrayIndex.point(last[s])).assign(e.getRow(s));
            }
            return out;
        }

        /** True when a linear layer lies upstream of {@code n}: only then does a stopped gradient cost anything. */
        private boolean reachesLinearLayer(Dl4jNode n) {
            Set<String> seen = new HashSet<>();
            List<String> open = new ArrayList<>(n.sources());
            Map<String, Dl4jNode> byName = new HashMap<>();
            graph.nodes().forEach(x -> byName.put(x.name(), x));
            while (!open.isEmpty()) {
                Dl4jNode x = byName.get(open.remove(open.size() - 1));
                if (x != null && seen.add(x.name())) {
                    if (x.linearIndex() >= 0) {
                        return true;
                    }
                    open.addAll(x.sources());
                }
            }
            return false;
        }

        /** G_b from g_b (B × m); then g_a = Wᵀ g_b per sample, i.e. g_b Wᵀ in DL4J's (nIn, nOut) layout. */
        /** {@link #denseBackward(Dl4jNode, INDArray)} with G_b over the time rows' moment subset. */
        private INDArray denseBackward(Dl4jNode n, TimeRows t, INDArray gb) {
            INDArray gs = t.sample(gb);
            double sg = scaleOf(gs);
            probes.get(n.name()).gradientScale(sg).outputGradientMoment(HostCopy.rowMajor(moment(scaled(gs, sg), gs.size(0))));
            return gb.mmul(n.layer().getParam("W").transpose());
        }

        private INDArray denseBackward(Dl4jNode n, INDArray gb) {
            double sg = scaleOf(gb);
            probes.get(n.name()).gradientScale(sg).outputGradientMoment(HostCopy.rowMajor(moment(scaled(gb, sg), gb.size(0))));
            return gb.mmul(n.layer().getParam("W").transpose());
        }

        private INDArray convBackward(Dl4jNode n, INDArray e) {
            ConvPatches patches = convPositions.get(n.name());
            if (patches != null) {
                INDArray gb = null;
                List<INDArray> zs = convZ.get(n.name());
                List<INDArray> deltas = new ArrayList<>(zs.size());
                long rows = 0;
                double sg = 1;
                for (int c = 0, from = 0; c < zs.size(); c++, from += CHUNK) {
                    INDArray z = zs.get(c);
                    INDArray eRows = patches.atPositions(rowsOf(n.conv().asImage(e), from, Math.min(batch, from + CHUNK)));
                    INDArray delta = n.activation().backprop(z.dup(), eRows.castTo(z.dataType())).getFirst();
                    deltas.add(delta);
                    rows += delta.size(0);
                }
                for (INDArray delta : deltas) {
                    sg = Math.max(sg, MomentScale.of(delta.amaxNumber().doubleValue(), rows));
                }
                for (INDArray delta : deltas) {
                    INDArray d = scaled(delta, sg);
                    gb = add(gb, d.transpose().mmul(d));
                }
                probes.get(n.name()).gradientScale(sg).outputGradientMoment(HostCopy.rowMajor(gb.divi(rows)));
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

    /** The power of two that keeps the float32 moment of the rows of {@code v} finite ({@link MomentScale}). */
    /**
     * The (sequence, time step) rows of a (B, C, T) series: row s·T + t of its (B·T, C) reading, the unmasked ones
     * ({@code kept}), and the positions among them the moments use ({@code sample}, null for all): beyond the plan's
     * rows per layer ({@link ProbePlan#maxRows()}, {@link dev.noether.core.model.ProbePositions#MAX_ROWS} for a whole
     * pass) a fixed random subset, as for a convolution's positions (METRICS.md §10, §12). Rows move by one gather
     * each ({@link #rowsAt}): a row-by-row copy costs an ND4J call per row, seconds for a few thousand rows.
     */
    record TimeRows(long batch, long steps, int[] kept, int[] sample) {
        static int[] unmasked(INDArray mask, long batch, long steps) {
            boolean fits = mask != null && mask.length() == batch * steps;
            double[] flat = fits ? mask.reshape(batch * steps).toDoubleVector() : null;
            int[] rows = new int[Math.toIntExact(batch * steps)];
            int count = 0;
            for (int r = 0; r < rows.length; r++) {
                if (flat == null || flat[r] != 0) {
                    rows[count++] = r;
                }
            }
            return java.util.Arrays.copyOf(rows, count);
        }

        /** The rows {@code rows} of the matrix {@code m}, in that order, as one gather (k, C). */
        static INDArray rowsAt(INDArray m, int[] rows) {
            return rows.length == 0 ? Nd4j.create(m.dataType(), 0, m.size(1)) : Nd4j.pullRows(m, 1, rows);
        }

        /** A fixed random subset of {@code max} of {@code count} positions (seeded: the same rows every pass), or null. */
        static int[] subset(int count, int max) {
            if (count <= max) {
                return null;
            }
            java.util.List<Integer> all = new java.util.ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                all.add(i);
            }
            java.util.Collections.shuffle(all, new java.util.Random(0x5eed));
            return all.subList(0, max).stream().mapToInt(Integer::intValue).sorted().toArray();
        }

        /** A (B, C, T) series as its kept rows (k, C). */
        INDArray rows(INDArray series) {
            return rowsAt(series.permute(0, 2, 1).dup('c').reshape(batch * steps, series.size(1)), kept);
        }

        INDArray sample(INDArray keptRows) {
            return sample == null ? keptRows : rowsAt(keptRows, sample);
        }

        /** Kept rows (k, C) back to a (B, C, T) series, zero at the masked steps: a gather from them and a zero row. */
        INDArray scatter(INDArray keptRows) {
            if (kept.length == 0) {
                return Nd4j.zeros(keptRows.dataType(), batch, keptRows.size(1), steps);
            }
            int zero = kept.length;
            int[] from = new int[Math.toIntExact(batch * steps)];
            java.util.Arrays.fill(from, zero);
            for (int i = 0; i < kept.length; i++) {
                from[kept[i]] = i;
            }
            INDArray source = Nd4j.vstack(keptRows, Nd4j.zeros(keptRows.dataType(), 1, keptRows.size(1)));
            return rowsAt(source, from).reshape(batch, steps, keptRows.size(1)).permute(0, 2, 1).dup('c');
        }
    }

    private static double scaleOf(INDArray v) {
        return MomentScale.of(v.amaxNumber().doubleValue(), v.size(0));
    }

    /** v / s (a new array), or v itself when s is 1. */
    private static INDArray scaled(INDArray v, double s) {
        return s == 1 ? v : v.div(s);
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
