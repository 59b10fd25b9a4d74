package dev.noether.core.probe;

import dev.noether.core.model.LayerProbe;

import java.util.List;
import java.util.Objects;

/**
 * What a probe pass hands to the monitor: the moments of the layers it measured, the plan it followed, and
 * the parts of the network it left out.
 *
 * @param layers the moments, one per measured linear layer
 * @param plan   the samples and rows the pass used (or {@link ProbePlan.Status#SKIPPED})
 * @param gaps   the parts left out, each named once
 */
public record ProbeResult(List<LayerProbe> layers, ProbePlan plan, List<ProbeGap> gaps) {
    public ProbeResult {
        layers = List.copyOf(layers);
        Objects.requireNonNull(plan, "plan");
        gaps = List.copyOf(gaps);
    }

    /** The result of a probe source that plans nothing and names no gaps. */
    public static ProbeResult unplanned(List<LayerProbe> layers) {
        return new ProbeResult(layers, ProbePlan.unplanned(), List.of());
    }

    /** No pass: the plan did not fit its allowance. */
    public static ProbeResult skipped(ProbePlan plan) {
        return new ProbeResult(List.of(), plan, List.of());
    }
}
