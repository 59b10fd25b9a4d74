package dev.noether.core.probe;

import java.util.Objects;

/**
 * A part of the network a probe pass left out, with why: a node the engine could not run on the probe batch
 * (the layers after it get no moments), one no per-sample gradient passes back through (the layers before it
 * get no G_b), an output without labels, or the rest of a pass that ran out of time ({@link #OUT_OF_TIME}). Each
 * is counted once per pass in {@code noether.analysis.skipped{reason="probe_part"}} and named in the log once per
 * node, and in the analysis record's {@code details.probe.gaps}.
 *
 * @param node   the node (layer or vertex name, as in the description)
 * @param reason one line saying what was left out and why
 */
public record ProbeGap(String node, String reason) {
    /** The reason of the gap a pass names when it stopped because its allowance was exhausted. */
    public static final String OUT_OF_TIME = "the pass ran past its time allowance and stopped here";

    public ProbeGap {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return node + ": " + reason;
    }
}
