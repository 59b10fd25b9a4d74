package dev.noether.dl4j;

import dev.noether.core.model.LayerReductions;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.SnapshotArrays;
import dev.noether.core.model.StepSnapshot;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.gradient.Gradient;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

/**
 * Takes θ(t) and ĝ(t) of every linear layer from DL4J in {@code onGradientCalculation}: as per-neuron sums
 * reduced on the engine, with full copies only on the steps the heavy analysis reads. Taken where the
 * parameters are still those of this iteration and the gradient buffer holds the raw loss gradients: no
 * regularization term yet, and summed over the minibatch (DL4J's updater divides by the batch size next).
 * A dense W is (nIn, nOut) in DL4J and is handed to core as (out × in); a convolution's W is already
 * (C_out, C_in, k…), i.e. the m × n rows of METRICS.md §10.
 */
final class Dl4jStepCapture {
    private final Dl4jGraph chain;
    private final List<EngineReductions> reductions;
    // the host copies of the steps the heavy analysis does not read, handed back by the monitor
    private final SnapshotArrays arrays = new SnapshotArrays(4);

    Dl4jStepCapture(Dl4jGraph chain) {
        this.chain = chain;
        this.reductions = chain.measured().stream().map(EngineReductions::new).toList();
    }

    /**
     * The step: on a CUDA backend the engine reductions ({@link #reduced}); on the CPU backend, where the
     * arrays already live in host memory and one bulk copy plus core's fused pass is the cheaper way
     * ({@code Dl4jStepTierBench}), the full host copies ({@link #captureArrays}), recycled except on the steps
     * the heavy analysis may read ({@code weights}, {@link dev.noether.core.runtime.NoetherMonitor#wantsWeights}).
     */
    StepSnapshot capture(OptimizerSettings optimizer, boolean weights) {
        return Nd4j.getEnvironment().isCPU() ? captureArrays(chain, optimizer, weights ? null : arrays)
                : reduced(optimizer, weights);
    }

    /** The step as engine reductions ({@link EngineReductions}); with full host copies of W and b when {@code weights}. */
    StepSnapshot reduced(OptimizerSettings optimizer, boolean weights) {
        Model model = chain.model();
        Gradient gradient = model.gradient();
        Map<String, INDArray> gradients = gradient == null ? Map.of() : gradient.gradientForVariable();
        float divisor = divisor(model);
        long step = chain.iteration();
        StepSnapshot.Builder s = StepSnapshot.builder(step).loss(model.score()).optimizer(optimizer);
        List<Dl4jWeights> measured = chain.measured();
        for (int i = 0; i < measured.size(); i++) {
            Dl4jWeights e = measured.get(i);
            INDArray w = e.raw();
            INDArray b = e.bias();
            INDArray gw = e.rawGradient(gradients);
            INDArray gb = b == null ? null : e.biasGradient(gradients);
            LayerReductions r = reductions.get(i).reduce(step, w, b, gw, gb, divisor);
            s.layer(weights ? LayerSnapshot.reduced(r, e.rows(w, null), b == null ? null : HostCopy.rowMajor(b))
                    : LayerSnapshot.reduced(r, null, null));
        }
        return s.build();
    }

    // the updater divides by the batch size only in minibatch mode (the default); a network that has not trained
    // (a data-parallel run's averaged model) has no gradients of its own to scale nor an input to size them by
    private static float divisor(Model model) {
        if (model.gradient() == null || !hasInput(model)) return 1;
        return model.conf().isMiniBatch() ? Math.max(1, model.batchSize()) : 1;
    }

    private static boolean hasInput(Model model) {
        if (model instanceof org.deeplearning4j.nn.multilayer.MultiLayerNetwork net) return net.getInput() != null;
        if (model instanceof org.deeplearning4j.nn.graph.ComputationGraph graph) {
            return graph.getInputs() != null && graph.getInputs().length > 0 && graph.getInputs()[0] != null;
        }
        return true;
    }

    /** The step as full host copies of θ and ĝ: the host reference the engine reductions are tested against. */
    static StepSnapshot captureArrays(Dl4jGraph chain, OptimizerSettings optimizer) {
        return captureArrays(chain, optimizer, null);
    }

    /**
     * The host copies, into arrays from {@code into} (fresh ones when null). The training thread only copies:
     * DL4J's gradient is the batch sum, and core applies the 1/B when it sums the copies on its step thread.
     */
    static StepSnapshot captureArrays(Dl4jGraph chain, OptimizerSettings optimizer, SnapshotArrays into) {
        Model model = chain.model();
        Gradient gradient = model.gradient();
        Map<String, INDArray> gradients = gradient == null ? Map.of() : gradient.gradientForVariable();
        double scale = 1.0 / divisor(model);
        StepSnapshot.Builder s = StepSnapshot.builder(chain.iteration()).loss(model.score()).optimizer(optimizer);
        if (into != null) {
            s.recycledTo(into);
        }
        for (Dl4jWeights e : chain.measured()) {
            INDArray w = e.raw();
            INDArray b = e.bias();
            INDArray gw = e.rawGradient(gradients);
            INDArray gb = b == null ? null : e.biasGradient(gradients);
            s.layer(LayerSnapshot.of(e.rows(w, into), b == null ? null : HostCopy.rowMajor(b, into),
                    gw == null ? null : e.rows(gw, into),
                    gb == null ? null : HostCopy.rowMajor(gb, into), scale));
        }
        return s.build();
    }
}
