package dev.noether.dl4j;

import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;

/**
 * A DL4J {@code LSTM} or {@code SimpleRnn} unrolled over the probe batch with ND4J ops, so that its gate
 * pre-activations and their gradients are at hand (METRICS.md §12): samples = (sequence, time step), h_a =
 * [x_t; h_{t−1}], h_b = z_t = x_t W + h_{t−1} RW + b, g_b = ∂ℓ/∂z_t by full back-propagation through time from
 * the gradient ∂ℓ/∂h_t the layers above hand back. DL4J's LSTM: gate blocks [block input a, forget f, output o,
 * input i] with a = σ_act(z_a), f, o, i = σ_gate(z), c_t = f c_{t−1} + i a, h_t = o σ_act(c_t); SimpleRnn:
 * h_t = σ_act(z_t). Rows of the moment matrices are s·T + t (sequence s, step t). The caller checks the unrolled
 * h_t against DL4J's own forward pass before trusting it.
 */
final class RecurrentProbe {
    private final boolean lstm;
    private final INDArray w;   // (nIn, gates·H)
    private final INDArray rw;  // (H, gates·H)
    private final INDArray b;   // (1, gates·H)
    private final IActivation act;
    private final IActivation gate;
    private final int units;
    // per step t: inputs, pre-activations, and (LSTM) cell states and gate values
    private final List<INDArray> x = new ArrayList<>();
    private final List<INDArray> hPrev = new ArrayList<>();
    private final List<INDArray> z = new ArrayList<>();
    private final List<INDArray> c = new ArrayList<>();
    private final List<INDArray> h = new ArrayList<>();

    private RecurrentProbe(boolean lstm, INDArray w, INDArray rw, INDArray b, IActivation act, IActivation gate) {
        this.lstm = lstm;
        this.w = w;
        this.rw = rw;
        this.b = b;
        this.act = act;
        this.gate = gate;
        this.units = Math.toIntExact(rw.size(0));
    }

    /** Why the layer cannot be unrolled here, or null when it can. */
    static String unsupportedReason(Dl4jNode n) {
        Object conf = n.conf();
        if (conf instanceof LSTM) {
            return null;
        }
        if (conf instanceof SimpleRnn rnn) {
            return rnn.hasLayerNorm() ? "SimpleRnn with layer normalization is not unrolled by the probe" : null;
        }
        return conf.getClass().getSimpleName() + " (" + (Dl4jNode.recurrentCell(n.conf()) == null ? "?"
                : Dl4jNode.recurrentCell(n.conf()).getClass().getSimpleName()) + " wrapped, or with peepholes) is not "
                + "unrolled by the probe";
    }

    static RecurrentProbe of(Dl4jNode n) {
        boolean lstm = n.conf() instanceof LSTM;
        IActivation gate = lstm ? ((LSTM) n.conf()).getGateActivationFn() : null;
        INDArray b = n.layer().getParam("b");
        return new RecurrentProbe(lstm, n.layer().getParam("W"), n.layer().getParam("RW"), b,
                ((BaseLayer) n.conf()).getActivationFn(), gate);
    }

    /** Runs the recurrence over {@code in} (B, nIn, T); returns h (B, H, T). */
    INDArray forward(INDArray in) {
        long batch = in.size(0);
        long steps = in.size(2);
        INDArray hp = Nd4j.zeros(w.dataType(), batch, units);
        INDArray cp = Nd4j.zeros(w.dataType(), batch, units);
        INDArray out = Nd4j.zeros(w.dataType(), batch, units, steps);
        for (long t = 0; t < steps; t++) {
            INDArray xt = in.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)).castTo(w.dataType()).dup('c');
            INDArray zt = xt.mmul(w).addi(hp.mmul(rw)).addiRowVector(b);
            INDArray ht;
            if (lstm) {
                INDArray a = act.getActivation(block(zt, 0).dup(), false);
                INDArray f = gate.getActivation(block(zt, 1).dup(), false);
                INDArray o = gate.getActivation(block(zt, 2).dup(), false);
                INDArray i = gate.getActivation(block(zt, 3).dup(), false);
                INDArray ct = f.mul(cp).addi(i.mul(a));
                ht = o.mul(act.getActivation(ct.dup(), false));
                c.add(ct);
                cp = ct;
            } else {
                ht = act.getActivation(zt.dup(), false);
            }
            x.add(xt);
            hPrev.add(hp);
            z.add(zt);
            h.add(ht);
            out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)).assign(ht);
            hp = ht;
        }
        return out;
    }

    /** h_a = [x_t; h_{t−1}] as rows s·T + t: (B·T, nIn + H). */
    INDArray inputRows() {
        List<INDArray> rows = new ArrayList<>();
        for (int t = 0; t < x.size(); t++) {
            rows.add(Nd4j.hstack(x.get(t), hPrev.get(t)));
        }
        return byRows(rows);
    }

    /** z_t as rows s·T + t: (B·T, gates·H). */
    INDArray outputRows() {
        return byRows(z);
    }

    /**
     * Back-propagation through time from {@code e} = ∂ℓ/∂h (B, H, T); returns {g_b rows (B·T, gates·H),
     * ∂ℓ/∂x (B, nIn, T)}.
     */
    INDArray[] backward(INDArray e) {
        int steps = z.size();
        long batch = z.get(0).size(0);
        INDArray[] dz = new INDArray[steps];
        INDArray dx = Nd4j.zeros(w.dataType(), batch, w.size(0), steps);
        INDArray dhNext = Nd4j.zeros(w.dataType(), batch, units);
        INDArray dcNext = Nd4j.zeros(w.dataType(), batch, units);
        for (int t = steps - 1; t >= 0; t--) {
            INDArray dh = e.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)).castTo(w.dataType())
                    .dup('c').addi(dhNext);
            INDArray zt = z.get(t);
            INDArray d;
            if (lstm) {
                INDArray a = act.getActivation(block(zt, 0).dup(), false);
                INDArray f = gate.getActivation(block(zt, 1).dup(), false);
                INDArray o = gate.getActivation(block(zt, 2).dup(), false);
                INDArray i = gate.getActivation(block(zt, 3).dup(), false);
                INDArray ct = c.get(t);
                INDArray cPrev = t == 0 ? Nd4j.zeros(w.dataType(), batch, units) : c.get(t - 1);
                INDArray actC = act.getActivation(ct.dup(), false);
                INDArray dc = act.backprop(ct.dup(), dh.mul(o)).getFirst().addi(dcNext);
                INDArray dza = act.backprop(block(zt, 0).dup(), dc.mul(i)).getFirst();
                INDArray dzf = gate.backprop(block(zt, 1).dup(), dc.mul(cPrev)).getFirst();
                INDArray dzo = gate.backprop(block(zt, 2).dup(), dh.mul(actC)).getFirst();
                INDArray dzi = gate.backprop(block(zt, 3).dup(), dc.mul(a)).getFirst();
                d = Nd4j.hstack(dza, dzf, dzo, dzi);
                dcNext = dc.mul(f);
            } else {
                d = act.backprop(zt.dup(), dh).getFirst();
            }
            dz[t] = d;
            dhNext = d.mmul(rw.transpose());
            dx.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)).assign(d.mmul(w.transpose()));
        }
        return new INDArray[] {byRows(java.util.Arrays.asList(dz)), dx};
    }

    private INDArray block(INDArray zt, int g) {
        return zt.get(NDArrayIndex.all(), NDArrayIndex.interval((long) g * units, (long) (g + 1) * units));
    }

    /** Per-step (B, D) matrices as one (B·T, D) matrix with row s·T + t. */
    private static INDArray byRows(List<INDArray> perStep) {
        INDArray stacked = Nd4j.stack(1, perStep.toArray(new INDArray[0])); // (B, T, D)
        return stacked.dup('c').reshape(stacked.size(0) * stacked.size(1), stacked.size(2));
    }
}
