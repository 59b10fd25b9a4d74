package dev.noether.core.probe;

import dev.noether.core.model.ProbePositions;

import java.util.ArrayList;
import java.util.List;

/**
 * The cost of one probe pass, estimated from the shapes of the linear layers it measures before it runs. Per
 * layer of m outputs and n inputs (a convolution: n = C_in·∏k, over P output positions; a layer over a time series:
 * P = the time steps), a pass over B samples that keeps r (sample, position) rows of it costs about
 * <pre>
 *   3·B·P·m·n            the layer's own forward pass and its backward pass to its input and weights
 *   + r·(n + n² + 2m²)   the patch copy and the moments H_a (n × n), H_b and G_b (m × m)
 * </pre>
 * multiply-adds, with r = B for a dense layer and r = B·(positions kept, {@link dev.noether.core.model.ProbePositions})
 * for a convolution or a layer over a time series. Element-wise layers, pooling and normalization are left out: they
 * are O(B·P·m), small beside the products. Layers whose output positions are not known yet count as one position.
 */
public final class ProbeWorkload {
    /**
     * The forward product and the two backward products (to the input, and DL4J's to the weights); for a recurrent
     * cell the engine's forward pass, the probe's own unrolled one, and its back-propagation through time to x_t and
     * h_{t−1}.
     */
    static final int PASSES = 3;

    private final int samples;
    private final List<Layer> layers;

    private record Layer(long outputs, long inputs, int positions) {}

    private ProbeWorkload(Builder b) {
        this.samples = b.samples;
        this.layers = List.copyOf(b.layers);
    }

    /** Starts the workload of a probe batch of {@code samples} samples. */
    public static Builder builder(int samples) {
        return new Builder(samples);
    }

    /** The samples the probe batch holds: the most a plan can use. */
    public int samples() {
        return samples;
    }

    /** The multiply-adds of a pass over the first {@code samples} samples, at most {@code maxRows} rows per convolution. */
    public double cost(int samples, int maxRows) {
        double total = 0;
        for (Layer l : layers) {
            double rows = (double) samples * ProbePositions.kept(l.positions, samples, maxRows);
            total += PASSES * (double) samples * l.positions * l.outputs * l.inputs
                    + rows * (l.inputs + (double) l.inputs * l.inputs + 2.0 * l.outputs * l.outputs);
        }
        return total;
    }

    /** Collects the linear layers of a probe pass. */
    public static final class Builder {
        private final int samples;
        private final List<Layer> layers = new ArrayList<>();

        private Builder(int samples) {
            if (samples < 1) {
                throw new IllegalArgumentException("a probe batch has at least one sample, got " + samples);
            }
            this.samples = samples;
        }

        /** A dense layer (m × n). */
        public Builder dense(int outputs, int inputs) {
            return conv(outputs, inputs, 1);
        }

        /**
         * A layer read over (sequence, time step) rows (METRICS.md §12): a recurrent cell with W = [W_x W_h]
         * ({@code outputs} = gates·H, {@code inputs} = nIn + H) or a dense layer over a time series. Each sample
         * brings {@code steps} rows, counted as a convolution's positions: every product runs over all of them,
         * the moments over at most the plan's rows. A recurrent cell counted as a dense layer would miss a factor
         * of its steps, and a pass over long sequences would then outrun its allowance.
         */
        public Builder sequence(int outputs, int inputs, int steps) {
            return conv(outputs, inputs, steps);
        }

        /**
         * A convolution: {@code outputs} channels, {@code inputs} = C_in·∏k, and the number of its output positions
         * (0 when not known yet: counted as one).
         */
        public Builder conv(int outputs, int inputs, int positions) {
            layers.add(new Layer(outputs, inputs, Math.max(1, positions)));
            return this;
        }

        public ProbeWorkload build() {
            return new ProbeWorkload(this);
        }
    }
}
