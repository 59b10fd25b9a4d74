package dev.noether.core.catalogue;

import dev.noether.core.micrometer.NoetherMetrics;

/**
 * The catalogue of Noether's gauges (METRICS.md §2–§5, §7): name, help text and base unit. One source
 * of truth for the meter binder, the event log and the documentation. Counters and timers (steps,
 * skipped analyses, errors, non-finite values, analysis time) are bound separately by {@link NoetherMetrics}.
 */
public enum NoetherMetric {
    // model
    LOSS("loss", "Minibatch training loss at the last step"),
    LEARNING_RATE("learning.rate", "Learning rate η of the last step, when the adapter knows it"),
    LAST_STEP_TIMESTAMP("last.step.timestamp", "Wall-clock time of the last training step (Unix epoch)", "seconds"),
    NORM_IMBALANCE("norm.imbalance",
            "Coefficient of variation (std/mean) of the weight norms of the intermediate dense layers; "
                    + "SGD drives it to 0 in deep linear nets (present with at least 2 intermediate layers)"),
    MONITOR_OVERHEAD("monitor.overhead",
            "Share (0-1) of the training thread's wall time spent inside Noether's every-step work and probes"),

    // pair (tags pair, symmetry)
    CHARGE("charge", "Noether charge Q = ||W_l||^2 + ||b_l||^2 - ||W_l+1||^2 of the pair (rotation pairs: "
            + "||C||_F of C = W_l W_l^T - W_l+1^T W_l+1)"),
    CHARGE_RELATIVE("charge.relative", "Charge over scale, Q/S, in [-1, 1]; 0 means balanced layers"),
    CHARGE_DRIFT("charge.drift", "sum_i |C_i(t) - C_i(t0)| / S(t0) since the first observed step "
            + "(rotation pairs: ||C(t) - C(t0)||_F / S(t0))"),
    CHARGE_DRIFT_RATE("charge.drift.rate", "Observed (Q(t) - Q(t-1)) / S(t-1) per step, averaged over the last window of "
            + "analysisEvery steps"),
    CHARGE_DRIFT_RATE_PREDICTED("charge.drift.rate.predicted", "Charge drift rate predicted by the exact plain-SGD "
            + "identity with weight decay and SGD noise, averaged like the observed rate (plain SGD only)"),
    CHARGE_RESIDUAL("charge.residual", "Largest |observed - predicted| charge step over S in the last window; "
            + "about 1e-7 (round-off) when the symmetry holds and the optimizer is plain SGD"),
    SYMMETRY_VIOLATION("symmetry.violation", "Relative violation of the Noether identity w.g_w + b g_b - u.g_u = 0 "
            + "in [0, 1], averaged over the last window; near 0 when the loss has the symmetry"),
    PAIR_NORM_RATIO("pair.norm.ratio", "||W_l||_F / ||W_l+1||_F"),

    // layer (tag layer)
    LAYER_WEIGHT_NORM("layer.weight.norm", "Frobenius norm of the layer's weight matrix"),
    LAYER_UPDATE_RATIO("layer.update.ratio", "||W(t) - W(t-1)||_F / ||W(t-1)||_F for the last step"),
    LAYER_EFFECTIVE_LEARNING_RATE("layer.effective.learning.rate",
            "eta / ||W||_F^2 of a scale-invariant layer (one followed by a normalization)"),
    LAYER_NEURONS("layer.neurons", "Number of output neurons m of the layer (output channels of a convolution)"),
    LAYER_INPUTS("layer.inputs", "Number of inputs n of the layer (C_in*prod(kernel) for a convolution)"),
    LAYER_INFO("layer.info", "Layer description, value always 1: kind (dense, conv1d, conv2d, conv3d) and the weight "
            + "shape (outputs x inputs, or C_out x C_in x kernel for a convolution read as a dense layer over channels)"),
    NEURONS_DEAD("neurons.dead", "Neurons with ||w_i||*||u_i|| <= 1e-6 or < 1e-3 of the median: the "
            + "rescaling-symmetric state w = u = 0"),
    NEURONS_INACTIVE("neurons.inactive", "Neurons whose post-activation is zero on every probe sample"),
    NEURONS_DISTINCT("neurons.distinct", "Clusters among live neurons joined when cos(w_i,w_j) > 0.99 and "
            + "cos(u_i,u_j) > 0.99: falls when neurons merge onto the permutation-symmetric state"),
    NEURON_BLOCKS("neuron.blocks", "Groups of at least 2 neurons whose pre-activations correlate with |r| >= 0.9"),
    NEURON_BLOCK_MAX_SIZE("neuron.block.max.size", "Size of the largest correlated neuron block (0 when none)"),
    NEURON_CORRELATION_MEAN_ABS("neuron.correlation.mean.abs", "Mean |Pearson r| of pre-activations over neuron pairs"),
    LAYER_EFFECTIVE_RANK("layer.effective.rank", "Roy-Vetterli effective rank exp(entropy of normalized singular values) "
            + "of W (widths above the exact limit: singular values from the smaller Gram matrix's eigenvalues)"),
    LAYER_STABLE_RANK("layer.stable.rank", "Stable rank ||W||_F^2 / sigma_max^2"),
    REPRESENTATION_EFFECTIVE_RANK("representation.effective.rank",
            "Effective rank of the pre-activation second moment H_b on the probe batch"),
    CRH_ALIGNMENT("crh.alignment", "CRH alignment: Pearson correlation of the entries of two matrices "
            + "(rga: H with G, rwa: H with Z, gwa: G with Z; side a = input, b = output); layers wider than "
            + "exactDimensionLimit (1024) use the principal submatrices over a fixed random sample of that many neurons; "
            + "convolutions: moments over (sample, position) pairs with h_a the input patch, at most 1024 pairs, "
            + "positions drawn with a fixed seed"),
    CRH_ALIGNMENT_BASELINE("crh.alignment.baseline", "The same alignment against a random orthogonal rotation "
            + "Q B Q^T of the second matrix: the chance level"),
    CRH_PHASE("crh.phase", "CRH phase of the layer (talk Table 1) as a state set: 1 for the current phase"),
    PAH_EXPONENT("pah.exponent", "Polynomial alignment exponent: least-squares slope of log lambda_H on log lambda_G "
            + "in the eigenbasis of G (wide layers: on the sampled principal submatrices, see crh.alignment)"),
    PAH_EXPONENT_PREDICTED("pah.exponent.predicted", "Exponent kappa_b the current CRH phase predicts (0 = flat)"),
    PAH_FIT_R2("pah.fit.r2", "R^2 of the polynomial alignment fit"),
    FDT_RESIDUAL("fdt.residual", "Fluctuation-dissipation residual min_{c1,c2>=0} ||W W^T + c1 G_b - c2 H_b||_F / "
            + "||W W^T||_F; 0 at equilibrium (wide layers: on the sampled principal submatrices)");

    private final String name;
    private final String description;
    private final String baseUnit;

    NoetherMetric(String name, String description) {
        this(name, description, null);
    }

    NoetherMetric(String name, String description, String baseUnit) {
        this.name = name;
        this.description = description;
        this.baseUnit = baseUnit;
    }

    /** The dotted name without the prefix, as in METRICS.md ("charge.drift"). */
    public String shortName() {
        return name;
    }

    /** The Micrometer meter name ("noether.charge.drift"). */
    public String meterName() {
        return "noether." + name;
    }

    public String description() {
        return description;
    }

    public String baseUnit() {
        return baseUnit;
    }

    public static NoetherMetric byShortName(String name) {
        for (NoetherMetric m : values()) {
            if (m.name.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("Unknown Noether metric '" + name + "'");
    }
}
