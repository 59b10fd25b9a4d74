package dev.noether.core.probe;

import dev.noether.core.model.ProbePositions;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one probe pass does: the first {@code samples} samples of the probe batch and at most {@code maxRows}
 * (sample, position) rows per convolution ({@link #positions}), chosen by {@link ProbeAllowance#plan} so that
 * the pass fits its time, or {@link Status#SKIPPED} when not even the smallest pass does.
 *
 * @param samples        samples used (0 when skipped)
 * @param maxRows        the most (sample, position) rows per convolution
 * @param multiplyAdds   the workload's estimate of the pass ({@link ProbeWorkload#cost}), 0 when unknown
 * @param estimatedNanos the time that estimate is expected to take, 0 when unknown
 * @param status         whole, reduced to fit, skipped, or not planned (a probe source that takes no allowance)
 */
public record ProbePlan(int samples, int maxRows, double multiplyAdds, long estimatedNanos, Status status) {

    /** How a plan relates to the whole probe batch. */
    public enum Status {
        /** Every sample, up to {@link ProbePositions#MAX_ROWS} rows per convolution: the pass as it always was. */
        WHOLE,
        /** Fewer positions or samples, so that the pass fits its allowance. */
        REDUCED,
        /** Not even {@link ProbeAllowance#MIN_SAMPLES} samples fit: no pass. */
        SKIPPED,
        /** A probe source that plans nothing (computes what it computes). */
        UNPLANNED
    }

    /** The plan of a probe source that takes no allowance. */
    public static ProbePlan unplanned() {
        return new ProbePlan(0, ProbePositions.MAX_ROWS, 0, 0, Status.UNPLANNED);
    }

    public boolean skipped() {
        return status == Status.SKIPPED;
    }

    /**
     * The positions to measure of a convolution's output of {@code outputPositions} positions, for the linear
     * layer at {@code layerIndex}: core's seeded subset ({@link ProbePositions#forLayer(int, int, int, int)}).
     */
    public int[] positions(int outputPositions, int layerIndex) {
        return ProbePositions.forLayer(outputPositions, samples, layerIndex, maxRows);
    }

    /** The plan as an event-log record: status, samples, rows per convolution, estimated multiply-adds and seconds. */
    public Map<String, Object> toRecord() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("status", status.name().toLowerCase(java.util.Locale.ROOT));
        if (status != Status.UNPLANNED) {
            r.put("samples", samples);
            r.put("max.rows", maxRows);
            r.put("multiply.adds", multiplyAdds);
            r.put("estimated.seconds", estimatedNanos / 1e9);
        }
        return r;
    }
}
