package dev.noether.core.runtime;

import dev.noether.core.model.LayerProbe;
import dev.noether.core.model.LayerReductions;
import dev.noether.core.model.LayerSnapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * Which tensors of a layer hold NaN or ±∞, named for the event log and the log line: a step's {@code weight},
 * {@code bias}, {@code weight.gradient}, {@code bias.gradient}, or a probe's {@code probe.inputs} (H_a, the
 * activations entering the layer), {@code probe.outputs} (H_b and E[h_b], its pre-activations) and
 * {@code probe.gradients} (G_b). Read only after a layer was found non-finite, so it costs nothing otherwise.
 */
final class NonFiniteTensors {
    /** The key of the report detail that names them: {@code {"<layer>": ["weight.gradient", ...], "loss": "NaN"}}. */
    static final String DETAIL = "nonfinite";

    private NonFiniteTensors() {}

    static List<String> of(LayerSnapshot s) {
        List<String> out = new ArrayList<>(2);
        LayerReductions r = s.reductions();
        if (r != null) {
            add(out, "weight", finite(r.rowSq()) && (s.weight() == null || finite(s.weight())));
            add(out, "bias", finite(r.biasSq()) && (s.bias() == null || finite(s.bias())));
            add(out, "weight.gradient", finite(r.rowGradSq()));
            add(out, "bias.gradient", finite(r.biasGradSq()));
        } else {
            add(out, "weight", finite(s.weight()));
            add(out, "bias", finite(s.bias()));
            add(out, "weight.gradient", finite(s.weightGradient()));
            add(out, "bias.gradient", finite(s.biasGradient()));
        }
        if (out.isEmpty()) {
            out.add("weight.update"); // finite arrays whose change since the step before overflowed
        }
        return out;
    }

    static List<String> of(LayerProbe p) {
        List<String> out = new ArrayList<>(2);
        add(out, "probe.inputs", finite(p.inputMoment()));
        add(out, "probe.outputs", finite(p.outputMoment()) && finite(p.outputMean()) && finite(p.activeFraction()));
        add(out, "probe.gradients", finite(p.outputGradientMoment()));
        return out;
    }

    private static void add(List<String> out, String name, boolean finite) {
        if (!finite) {
            out.add(name);
        }
    }

    private static boolean finite(float[] a) {
        if (a != null) {
            for (float x : a) {
                if (!Float.isFinite(x)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean finite(double[] a) {
        if (a != null) {
            for (double x : a) {
                if (!Double.isFinite(x)) {
                    return false;
                }
            }
        }
        return true;
    }
}
