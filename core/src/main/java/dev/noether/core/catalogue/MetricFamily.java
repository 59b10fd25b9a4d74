package dev.noether.core.catalogue;

import java.util.Arrays;
import java.util.List;

/**
 * The catalogue of every metric family Noether exports (METRICS.md §2–§7), in the spirit of Micrometer's
 * {@code MeterDocumentation}: name, type, tag keys, unit and help text. The one source of truth that the
 * Micrometer binder registers from, the event log names values by, and the tests and the README check
 * against, so that no one retypes a name.
 *
 * <p>Every family also carries the tag {@code model}, which {@link #tagKeys()} leaves out. Families whose
 * {@link #source()} is {@link Source#REPORT} are values of the monitor's reports (a gauge appears the first time
 * its value is measured); the {@link Source#MONITOR} ones are the monitor's own counts and timings.
 */
public enum MetricFamily {
    // the monitor's own counts and timings
    STEPS("steps", Type.COUNTER, Source.MONITOR, "", "Training steps seen by Noether, observed or not"),
    STEPS_OBSERVED("steps.observed", Type.COUNTER, Source.MONITOR, "",
            "Training steps the step tier observed: runs of consecutive steps as often as the overhead budget "
                    + "allows, or the fixed observeEvery stride"),
    STEPS_DROPPED("steps.dropped", Type.COUNTER, Source.MONITOR, "",
            "Steps the every-step tier did not observe because its thread stayed busy for a second (a blocking "
                    + "report listener); each restarts the charge continuity of every pair"),
    ANALYSIS_SKIPPED("analysis.skipped", Type.COUNTER, Source.MONITOR, "reason",
            "Heavy analyses skipped: the analysis thread was busy (busy), the time floor or the analysis thread's "
                    + "share ceiling had not passed (rate_limited), the analyses' half of the overhead budget was in "
                    + "debt (budget), or the final analysis at training end ran past its time bound (timeout); and "
                    + "probe passes left out for their cost (probe_cost: the analysis read the weights alone) or parts "
                    + "of them (probe_part: a node the probe could not run or pass a gradient through, named in the "
                    + "log and event log)"),
    NONFINITE("nonfinite", Type.COUNTER, Source.MONITOR, "layer",
            "Steps or analyses where the layer had NaN or infinite values and was skipped"),
    // the same help text as the exporter's counters of this name: Prometheus keeps one per name
    ERRORS("errors", Type.COUNTER, Source.MONITOR, "stage", "Failures inside Noether, by stage; training continued"),
    ANALYSIS("analysis", Type.TIMER, Source.MONITOR, "tier", "Time Noether spent per tier: step (the copy of "
            + "each observed step, training thread), step_background (its sums, the step thread), probe (engine work "
            + "on the training thread), heavy (background analysis)", "seconds"),
    INFO("info", Type.GAUGE, Source.MONITOR, "version engine optimizer unsupported",
            "Noether build and run information; the value is always 1"),
    LAYER_INFO("layer.info", Type.GAUGE, Source.MONITOR, "layer kind shape",
            "Layer description, value always 1: kind (dense, conv1d, conv2d, conv3d; lstm, gru, rnn for recurrent "
            + "layers, W = [W_x W_h]; embedding, other for weight-only layers the adapter could not place in the graph) "
            + "and the weight shape (outputs x inputs, or C_out x C_in x kernel for a convolution read as a dense layer "
            + "over channels, or first dimension x the rest for a weight-only layer)"),

    // model
    LOSS("loss", Type.GAUGE, Source.REPORT, "", "Minibatch training loss at the last step"),
    LEARNING_RATE("learning.rate", Type.GAUGE, Source.REPORT, "", "Learning rate η of the last step, when the adapter knows it"),
    LAST_STEP_TIMESTAMP("last.step.timestamp", Type.GAUGE, Source.MONITOR, "", "Wall-clock time of the last training step (Unix epoch)", "seconds"),
    NORM_IMBALANCE("norm.imbalance", Type.GAUGE, Source.REPORT, "",
            "Coefficient of variation (std/mean) of the weight norms of the intermediate dense layers; "
                    + "SGD drives it to 0 in deep linear nets (present with at least 2 intermediate layers)"),
    NORM_SPREAD("norm.spread", Type.GAUGE, Source.REPORT, "",
            "Population std of the squared weight norms ||W_l||_F^2 of the intermediate dense layers (weight units^2); "
                    + "conserved by gradient flow in bias-free homogeneous chains, driven to 0 by SGD noise "
                    + "(present with at least 2 intermediate layers)"),
    MONITOR_OVERHEAD("monitor.overhead", Type.GAUGE, Source.MONITOR, "",
            "Noether's measured cost as a share (0-1) of training wall time over the last 5-10 s: its time on the "
                    + "training thread (step copies, probes) plus what its own threads (step sums, heavy analysis) "
                    + "took from training, monitor.interference times their busy time; the overhead budget keeps it "
                    + "at or below monitor.overhead.budget"),
    MONITOR_OVERHEAD_BUDGET("monitor.overhead.budget", Type.GAUGE, Source.MONITOR, "",
            "The overhead budget: the largest share (0-1) of training wall time Noether may cost (overheadBudget, "
                    + "default 0.02)"),
    MONITOR_OBSERVED_FRACTION("monitor.observed.fraction", Type.GAUGE, Source.MONITOR, "",
            "Share (0-1) of the training steps the step tier observed over the last 5-10 s"),
    MONITOR_INTERFERENCE("monitor.interference", Type.GAUGE, Source.MONITOR, "",
            "Training time lost per second of Noether's background work (step sums, heavy analysis), measured by "
                    + "comparing step times while its threads work and while they are idle: about 0 with a spare "
                    + "core, about 1 without; 1 until measured"),

    // pair (tags pair, symmetry)
    CHARGE("charge", Type.GAUGE, Source.REPORT, "pair symmetry", "Noether charge Q = ||W_l||^2 + ||b_l||^2 - ||W_l+1||^2 of the pair (rotation pairs: "
            + "||C||_F of C = W_l W_l^T - W_l+1^T W_l+1)"),
    CHARGE_RELATIVE("charge.relative", Type.GAUGE, Source.REPORT, "pair symmetry", "Charge over scale, Q/S, in [-1, 1]; 0 means balanced layers (rotation "
            + "pairs: ||C||_F / S, S = ||W_l||^2 + ||W_l+1||^2)"),
    CHARGE_DRIFT("charge.drift", Type.GAUGE, Source.REPORT, "pair symmetry", "sum_i |C_i(t) - C_i(t0)| / S(t0) since the first observed step "
            + "(rotation pairs: ||C(t) - C(t0)||_F / S(t0))"),
    CHARGE_DRIFT_RATE("charge.drift.rate", Type.GAUGE, Source.REPORT, "pair symmetry", "Observed (Q(t) - Q(t-1)) / S(t-1) per step, averaged over the last window of "
            + "analysisEvery steps"),
    CHARGE_DRIFT_RATE_PREDICTED("charge.drift.rate.predicted", Type.GAUGE, Source.REPORT, "pair symmetry", "Charge drift rate predicted by the exact "
            + "one-step identity with weight decay and SGD noise, averaged like the observed rate (plain SGD, heavy-ball "
            + "momentum and Nesterov, with the optimizer read from the engine; momentum needs three consecutive observed steps)"),
    CHARGE_RESIDUAL("charge.residual", Type.GAUGE, Source.REPORT, "pair symmetry", "Largest |observed - predicted| charge step over S in the last window; "
            + "about 1e-7 (round-off) when the symmetry holds and the optimizer is plain SGD, heavy-ball momentum or Nesterov"),
    CHARGE_DRIFT_RATE_PART("charge.drift.rate.part", Type.GAUGE, Source.REPORT, "pair symmetry part", "What moves the charge: "
            + "the exact split of the observed (Q(t+1) - Q(t)) / S(t) for any optimizer, averaged like charge.drift.rate, the "
            + "four parts summing to it: decay (decoupled weight decay, and coupled L2 of SGD-type optimizers: pulls Q to 0), "
            + "optimizer (momentum memory, Adam/RMSProp preconditioning with their coupled L2, clipping), gradient "
            + "(-2 eta_eff theta^T A g: 0 when the loss has the symmetry) and step (the second-order term: step size and "
            + "gradient noise); host-copied steps only (absent on the engines' device reductions)"),
    ROTATION_VIOLATION("rotation.violation", Type.GAUGE, Source.REPORT, "pair symmetry", "Rotation pairs: ||Skew(dW_l W_l^T - "
            + "W_l+1^T dW_l+1)||_F / (||dW_l W_l^T||_F + ||W_l+1^T dW_l+1||_F) per step, averaged over the last window; "
            + "round-off under SGD and momentum (the update keeps the rotation identity), clearly above 0 under Adam; "
            + "host-copied steps and m^2(n+k) <= 2^26 only"),
    SYMMETRY_VIOLATION("symmetry.violation", Type.GAUGE, Source.REPORT, "pair symmetry", "Relative violation of the Noether identity w.g_w + b g_b - u.g_u = 0 "
            + "in [0, 1], averaged over the last window; near 0 when the loss has the symmetry"),
    PAIR_NORM_RATIO("pair.norm.ratio", Type.GAUGE, Source.REPORT, "pair symmetry", "||W_l||_F / ||W_l+1||_F"),

    // layer (tag layer)
    LAYER_WEIGHT_NORM("layer.weight.norm", Type.GAUGE, Source.REPORT, "layer", "Frobenius norm of the layer's weight matrix"),
    LAYER_UPDATE_RATIO("layer.update.ratio", Type.GAUGE, Source.REPORT, "layer", "||W(t) - W(t-1)||_F / ||W(t)||_F for the last step"),
    LAYER_GRADIENT_NORM("layer.gradient.norm", Type.GAUGE, Source.REPORT, "layer",
            "Frobenius norm ||g_W||_F of the gradient of the batch-mean loss with respect to the layer's weight matrix "
                    + "(bias excluded, before any weight-decay term) at the last observed step; absent when the "
                    + "adapter hands no gradients"),
    LAYER_EFFECTIVE_LEARNING_RATE("layer.effective.learning.rate", Type.GAUGE, Source.REPORT, "layer",
            "eta / ||W||_F^2 of a scale-invariant layer (one followed by a normalization)"),
    LAYER_NEURONS("layer.neurons", Type.GAUGE, Source.REPORT, "layer", "Number of output neurons m of the layer (output channels of a convolution)"),
    LAYER_INPUTS("layer.inputs", Type.GAUGE, Source.REPORT, "layer", "Number of inputs n of the layer (C_in*prod(kernel) for a convolution)"),
    NEURONS_DEAD("neurons.dead", Type.GAUGE, Source.REPORT, "layer", "Neurons with ||w_i||*||u_i|| <= 1e-6 or < 1e-3 of the median: the "
            + "rescaling-symmetric state w = u = 0"),
    NEURONS_INACTIVE("neurons.inactive", Type.GAUGE, Source.REPORT, "layer", "Neurons whose post-activation is zero on every probe sample"),
    NEURONS_DISTINCT("neurons.distinct", Type.GAUGE, Source.REPORT, "layer", "Clusters among live neurons joined when cos(w_i,w_j) > 0.99 and "
            + "cos(u_i,u_j) > 0.99: falls when neurons merge onto the permutation-symmetric state"),
    // attention block (tag block)
    HEADS_DEAD("heads.dead", Type.GAUGE, Source.REPORT, "block", "Attention heads with ||w_h||*||u_h|| <= 1e-6 or < 1e-3 of "
            + "the median, w_h the head's stacked Q, K and V rows and u_h its columns of W_O: heads in the symmetric "
            + "state w = u = 0"),
    HEADS_DISTINCT("heads.distinct", Type.GAUGE, Source.REPORT, "block", "Clusters among live attention heads joined "
            + "when cos(w_h, w_g) > 0.99 and cos(u_h, u_g) > 0.99 (w_h the head's stacked Q, K, V rows, u_h its W_O "
            + "columns): falls when heads merge onto the permutation-symmetric state"),
    NEURON_BLOCKS("neuron.blocks", Type.GAUGE, Source.REPORT, "layer", "Groups of at least 2 neurons whose pre-activations correlate with |r| >= 0.9"),
    NEURON_BLOCK_MAX_SIZE("neuron.block.max.size", Type.GAUGE, Source.REPORT, "layer", "Size of the largest correlated neuron block (0 when none)"),
    NEURON_CORRELATION_MEAN_ABS("neuron.correlation.mean.abs", Type.GAUGE, Source.REPORT, "layer", "Mean |Pearson r| of pre-activations over neuron pairs"),
    LAYER_EFFECTIVE_RANK("layer.effective.rank", Type.GAUGE, Source.REPORT, "layer", "Roy-Vetterli effective rank exp(entropy of normalized singular values) "
            + "of W (min(m, n) above exactDimensionLimit: stochastic Lanczos quadrature on the smaller Gram matrix, 16 "
            + "Rademacher vectors x 24 steps, ratio estimate against ||W||_F^2; estimated, not rigorous: "
            + "|ln erank - ln erank^| <= 3 jackknife standard errors + the change from the half-step Gauss rule, "
            + "reported as sketch layer.effective.rank.log.bound)"),
    LAYER_STABLE_RANK("layer.stable.rank", Type.GAUGE, Source.REPORT, "layer", "Stable rank ||W||_F^2 / sigma_max^2 (min(m, n) above "
            + "exactDimensionLimit: sigma_max^2 the largest Lanczos Ritz value, <= sigma_max^2, so the rank is >= the true one)"),
    REPRESENTATION_EFFECTIVE_RANK("representation.effective.rank", Type.GAUGE, Source.REPORT, "layer",
            "Effective rank of the pre-activation second moment H_b on the probe batch (layers wider than "
            + "exactDimensionLimit: of a Nystrom sketch H^ <= H_b with missed trace delta = tr(H_b - H^); with "
            + "T = delta / tr H_b, |ln erank - ln erank^| <= T ln(d-1) + h(T), h the binary entropy; 0 when the "
            + "probe batch is smaller than the sketch)"),
    CRH_ALIGNMENT("crh.alignment", Type.GAUGE, Source.REPORT, "layer side relation", "CRH alignment: Pearson correlation of the entries of two matrices "
            + "(rga: H with G, rwa: H with Z, gwa: G with Z; side a = input, b = output); layers wider than "
            + "exactDimensionLimit (1024) use Nystrom sketches X^ <= X of rank sketchRank (at least the probe "
            + "batch + 8), within |alpha - alpha^| <= 2 delta_X/||X^_c||_F + 2 delta_Y/||Y^_c||_F, delta = tr(X - X^) "
            + "the missed trace (X_c: X minus its entry mean); recurrent layers (W used at every time step) give an "
            + "empirical value, as [3]'s derivation assumes each weight is used once per sample; "
            + "exact when both matrices have rank below the sketch, "
            + "as probe moments do (all to the float32 rounding of the moments, ~1e-7); the bounds are in the "
            + "analysis event's sketch details; convolutions: moments over (sample, position) pairs with h_a the "
            + "input patch, at most 1024 pairs, positions drawn with a fixed seed"),
    CRH_ALIGNMENT_BASELINE("crh.alignment.baseline", Type.GAUGE, Source.REPORT, "layer side relation", "The same alignment against Q B Q^T for Haar-random "
            + "rotations Q of the second matrix: the chance level, in closed form as the ratio of Haar expectations "
            + "E<A_c,(QBQ^T)_c> / sqrt(||A_c||^2 E||(QBQ^T)_c||^2) (wide layers: on the sketches, same bound as "
            + "crh.alignment with sqrt(E||(QY^Q^T)_c||^2) for ||Y^_c||)"),
    CRH_PHASE("crh.phase", Type.GAUGE, Source.REPORT, "layer phase", "CRH phase of the layer (talk Table 1) as a state set: 1 for the current phase"),
    PAH_EXPONENT("pah.exponent", Type.GAUGE, Source.REPORT, "layer side", "Polynomial alignment exponent: least-squares slope of log lambda_H on log lambda_G "
            + "in the eigenbasis of G (wide layers: on the eigen-directions of the sketch G^, H's quadratic forms "
            + "from H^; exact when both have rank below the sketch, otherwise no bound is stated; empirical on "
            + "recurrent layers, whose W is used at every time step)"),
    PAH_EXPONENT_PREDICTED("pah.exponent.predicted", Type.GAUGE, Source.REPORT, "layer side", "Exponent kappa_b the current CRH phase predicts (METRICS.md table: 0 for the H-flat phases 3 and 9; "
            + "absent for phases 1, 2, backward_crh, forward_crh and none)"),
    PAH_FIT_R2("pah.fit.r2", Type.GAUGE, Source.REPORT, "layer side", "R^2 of the polynomial alignment fit"),
    FDT_RESIDUAL("fdt.residual", Type.GAUGE, Source.REPORT, "layer side", "Fluctuation-dissipation residual min_{c1,c2>=0} ||W W^T + c1 G_b - c2 H_b||_F / "
            + "||W W^T||_F; 0 at equilibrium (wide layers: on the sketches, r <= r^ + (delta_Z + c1 delta_G + "
            + "c2 delta_H) / ||Z^||_F, an upper bound only; empirical on recurrent layers, whose W is used at every "
            + "time step)");

    /** The kind of meter. */
    public enum Type {
        GAUGE,
        COUNTER,
        /** A timer: count, sum and max of durations. */
        TIMER
    }

    /** Where the values come from. */
    public enum Source {
        /** The values of the monitor's reports, one series per tag combination measured. */
        REPORT,
        /** The monitor's own counts and timings ({@code MonitorStats}) and its run information. */
        MONITOR
    }

    private final String name;
    private final Type type;
    private final Source source;
    private final List<String> tagKeys;
    private final String help;
    private final String baseUnit;

    MetricFamily(String name, Type type, Source source, String tagKeys, String help) {
        this(name, type, source, tagKeys, help, null);
    }

    MetricFamily(String name, Type type, Source source, String tagKeys, String help, String baseUnit) {
        this.name = name;
        this.type = type;
        this.source = source;
        this.tagKeys = tagKeys.isEmpty() ? List.of() : List.of(tagKeys.split(" "));
        this.help = help;
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

    public Type type() {
        return type;
    }

    public Source source() {
        return source;
    }

    /** The tag keys besides {@code model}, e.g. {@code [pair, symmetry]}. */
    public List<String> tagKeys() {
        return tagKeys;
    }

    /** The help text (Micrometer's description, Prometheus's HELP). */
    public String description() {
        return help;
    }

    /** The base unit ("seconds"), or null for a plain number. */
    public String baseUnit() {
        return baseUnit;
    }

    /**
     * The family's name in the Prometheus exposition: dots become underscores, the unit is appended and a
     * counter ends in {@code _total} ({@code noether_analysis_skipped_total}, {@code noether_analysis_seconds}).
     */
    public String prometheusName() {
        String base = meterName().replace('.', '_') + (baseUnit == null ? "" : "_" + baseUnit);
        return type == Type.COUNTER ? base + "_total" : base;
    }

    /** The sample names of the family in the Prometheus exposition: a timer has {@code _count}, {@code _sum}, {@code _max}. */
    public List<String> prometheusSamples() {
        String n = prometheusName();
        return type == Type.TIMER ? List.of(n + "_count", n + "_sum", n + "_max") : List.of(n);
    }

    /** The family of a report value by its short name ("charge.drift"). */
    public static MetricFamily byShortName(String name) {
        for (MetricFamily m : values()) {
            if (m.name.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("Unknown Noether metric '" + name + "'");
    }

    /** Every family, in catalogue order. */
    public static List<MetricFamily> all() {
        return Arrays.asList(values());
    }
}
