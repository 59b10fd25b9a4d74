package dev.noether.core.model;

/**
 * How the columns of the consumer W_{l+1} group by the output channels of layer l (METRICS.md §10): channel
 * i owns the contiguous columns {@code i·positions + p} for p &lt; positions, so u_i is those columns.
 * dense→dense: positions = 1; conv→conv: positions = ∏k of the consumer (its columns are ordered (C_in, k…));
 * conv→flatten→dense: positions = spatial positions per channel (channel-major NCHW flatten).
 *
 * @param channels  m, the output channels of layer l
 * @param positions g, the consumer columns per channel
 */
public record ChannelGrouping(int channels, int positions) {
    public ChannelGrouping {
        if (channels <= 0 || positions <= 0) {
            throw new IllegalArgumentException("grouping " + channels + "x" + positions + " must be positive");
        }
    }

    /** The consumer's column count m·g. */
    public int columns() {
        return channels * positions;
    }

    /** Σ_p a[i·g + p]: a per-column quantity of the consumer summed over channel i's columns. */
    public double sum(double[] perColumn, int channel) {
        double s = 0;
        for (int j = channel * positions, end = j + positions; j < end; j++) {
            s += perColumn[j];
        }
        return s;
    }
}
