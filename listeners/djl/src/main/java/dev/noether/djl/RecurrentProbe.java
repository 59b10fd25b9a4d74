package dev.noether.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.recurrent.GRU;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.recurrent.RNN;
import ai.djl.nn.recurrent.RecurrentBlock;
import ai.djl.training.ParameterStore;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * The probe's forward pass through a DJL {@link LSTM}, {@link GRU} or {@link RNN}, written out step by step with
 * NDArray ops so that the gate pre-activations z_t are at hand (METRICS.md §12): samples = (sequence, time step),
 * rows s·T + t of (B, T, ·) arrays. DJL 0.36's PyTorch engine calls {@code torch.lstm/gru/rnn}, so the cells are
 * PyTorch's with {@code l_0_i2h_WEIGHT} = W_ih (gates·H × n), {@code l_0_h2h_WEIGHT} = W_hh (gates·H × H):
 * <ul>
 *   <li>LSTM: z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh, gate blocks [i, f, g, o], c_t = σ(f) c_{t−1} +
 *       σ(i) tanh(g), h_t = σ(o) tanh(c_t); one layer, h_a = [x_t; h_{t−1}], h_b = z_t;</li>
 *   <li>RNN: h_t = tanh or relu of z_t (the same z_t, one block);</li>
 *   <li>GRU, blocks [r, z, n]: a_t = W_ih x_t + b_ih, b_t = W_hh h_{t−1} + b_hh, r = σ(a_r + b_r), u = σ(a_z + b_z),
 *       n = tanh(a_n + r ⊙ b_n), h_t = (1 − u) n + u h_{t−1}; two layers: h_a = x_t, h_b = a_t, and h_a = h_{t−1},
 *       h_b = b_t.</li>
 * </ul>
 * A zero array e requiring gradient is added to each h_b inside the recurrence, so one backward pass of the
 * loss gives ∂L/∂h_b at every (sequence, step) through the whole recurrence (back-propagation through time).
 * Only a single-layer, unidirectional block is written out; the caller checks the result against DJL's own
 * forward pass before trusting it.
 */
final class RecurrentProbe {
    private RecurrentProbe() {}

    /** One measured layer of the cell: its weight (for the layer index), h_a and h_b as (B, T, ·), and e or null. */
    record Recorded(Parameter weight, NDArray input, NDArray output, NDArray perturbation) {}

    /** The written-out output (as DJL returns it) and the layers it recorded. */
    record Result(NDList output, List<Recorded> layers) {}

    /** Why {@code block} is not written out, or null when it is. */
    static String unsupportedReason(RecurrentBlock block) {
        int layers = field(block, "numLayers", Integer.class);
        boolean bidirectional = field(block, "bidirectional", Boolean.class);
        if (layers != 1 || bidirectional) {
            return (layers != 1 ? layers + " stacked layers" : "") + (layers != 1 && bidirectional ? ", " : "")
                    + (bidirectional ? "bidirectional" : "") + " (only a single-layer, unidirectional "
                    + block.getClass().getSimpleName() + " is written out)";
        }
        return null;
    }

    /**
     * Runs {@code block} (one {@link #unsupportedReason} accepts) on {@code x} = [input] or [input, h_0(, c_0)];
     * {@code gradients} holds the zero perturbations (null: none are added).
     */
    static Result forward(RecurrentBlock block, NDList x, ParameterStore store, NDManager gradients) {
        boolean batchFirst = field(block, "batchFirst", Boolean.class);
        boolean returnState = field(block, "returnState", Boolean.class);
        NDArray input = batchFirst ? x.head() : x.head().transpose(1, 0, 2); // (B, T, n)
        long batch = input.getShape().get(0);
        int steps = Math.toIntExact(input.getShape().get(1));
        Parameter wx = block.getDirectParameters().get("l_0_i2h_WEIGHT");
        Parameter wh = block.getDirectParameters().get("l_0_h2h_WEIGHT");
        Parameter bx = block.getDirectParameters().contains("l_0_i2h_BIAS") ? block.getDirectParameters().get("l_0_i2h_BIAS") : null;
        Parameter bh = block.getDirectParameters().contains("l_0_h2h_BIAS") ? block.getDirectParameters().get("l_0_h2h_BIAS") : null;
        NDArray wIn = store.getValue(wx, input.getDevice(), false).transpose();
        NDArray wHidden = store.getValue(wh, input.getDevice(), false).transpose();
        NDArray bIn = bx == null ? null : store.getValue(bx, input.getDevice(), false);
        NDArray bHidden = bh == null ? null : store.getValue(bh, input.getDevice(), false);
        long units = wHidden.getShape().get(0);
        long rows = wHidden.getShape().get(1);
        NDManager m = input.getManager();
        NDArray h = x.size() > 1 ? x.get(1).get(0) : m.zeros(new Shape(batch, units), input.getDataType());
        NDArray c = block instanceof LSTM
                ? (x.size() > 2 ? x.get(2).get(0) : m.zeros(new Shape(batch, units), input.getDataType())) : null;
        boolean gru = block instanceof GRU;
        boolean relu = block instanceof RNN && field(block, "activation", RNN.Activation.class) == RNN.Activation.RELU;
        NDArray e = perturbation(gradients, batch, steps, rows, input);
        NDArray eHidden = gru ? perturbation(gradients, batch, steps, rows, input) : null;
        NDList inputs = new NDList(steps);
        NDList previous = new NDList(steps);
        NDList preActivations = new NDList(steps);
        NDList hiddenPreActivations = new NDList(steps);
        NDList outputs = new NDList(steps);
        for (int t = 0; t < steps; t++) {
            NDArray xt = input.get(new NDIndex(":, {}", t));
            NDArray a = affine(xt, wIn, bIn);
            NDArray b = affine(h, wHidden, bHidden);
            inputs.add(xt);
            previous.add(h);
            NDArray next;
            if (gru) {
                preActivations.add(a);
                hiddenPreActivations.add(b);
                a = e == null ? a : a.add(e.get(new NDIndex(":, {}", t)));
                b = eHidden == null ? b : b.add(eHidden.get(new NDIndex(":, {}", t)));
                NDList ga = a.split(3, 1);
                NDList gb = b.split(3, 1);
                NDArray r = sigmoid(ga.get(0).add(gb.get(0)));
                NDArray u = sigmoid(ga.get(1).add(gb.get(1)));
                NDArray n = ga.get(2).add(r.mul(gb.get(2))).tanh();
                next = u.neg().add(1).mul(n).add(u.mul(h));
            } else {
                NDArray z = a.add(b);
                preActivations.add(z);
                z = e == null ? z : z.add(e.get(new NDIndex(":, {}", t)));
                if (c != null) {
                    NDList g = z.split(4, 1);
                    c = sigmoid(g.get(1)).mul(c).add(sigmoid(g.get(0)).mul(g.get(2).tanh()));
                    next = sigmoid(g.get(3)).mul(c.tanh());
                } else {
                    next = relu ? z.maximum(0) : z.tanh();
                }
            }
            outputs.add(next);
            h = next;
        }
        List<Recorded> layers = new ArrayList<>(2);
        NDArray xs = NDArrays.stack(inputs, 1);
        NDArray hs = NDArrays.stack(previous, 1);
        if (gru) {
            layers.add(new Recorded(wx, xs, NDArrays.stack(preActivations, 1), e));
            layers.add(new Recorded(wh, hs, NDArrays.stack(hiddenPreActivations, 1), eHidden));
        } else {
            layers.add(new Recorded(wx, xs.concat(hs, 2), NDArrays.stack(preActivations, 1), e));
        }
        NDArray y = NDArrays.stack(outputs, batchFirst ? 1 : 0);
        NDList out = new NDList(y);
        if (returnState) {
            out.add(h.expandDims(0));
            if (c != null) {
                out.add(c.expandDims(0));
            }
        }
        return new Result(out, layers);
    }

    private static NDArray sigmoid(NDArray z) {
        return ai.djl.nn.Activation.sigmoid(z);
    }

    /** v Wᵀ + b with {@code wT} = Wᵀ. */
    private static NDArray affine(NDArray v, NDArray wT, NDArray b) {
        NDArray y = v.matMul(wT);
        return b == null ? y : y.add(b);
    }

    private static NDArray perturbation(NDManager gradients, long batch, int steps, long rows, NDArray like) {
        if (gradients == null) {
            return null;
        }
        NDArray e = gradients.zeros(new Shape(batch, steps, rows), like.getDataType());
        e.setRequiresGradient(true);
        return e;
    }

    /** DJL 0.36 keeps a recurrent block's settings in protected fields without getters. */
    private static <T> T field(RecurrentBlock block, String name, Class<T> type) {
        Class<?> owner = name.equals("activation") ? RNN.class : RecurrentBlock.class;
        try {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return type.cast(f.get(block));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DJL's " + owner.getSimpleName() + " has no readable '" + name + "'", e);
        }
    }
}
