package dev.noether.dl4j;

import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.spi.ListenerBuilder;
import dev.noether.core.spi.ListenerSettings;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A DL4J {@link TrainingListener} that exports Noether's physics-of-learning metrics for a
 * {@code MultiLayerNetwork} or a {@code ComputationGraph} (dense and convolution layers, METRICS.md §10) to Micrometer.
 *
 * <pre>{@code
 * net.addListeners(NoetherListener.builder().registry(meterRegistry).modelName("mnist-mlp").build());
 * net.fit(trainData, epochs);
 * }</pre>
 *
 * Every iteration it copies the dense layers' parameters and loss gradients before DL4J's update
 * ({@code onGradientCalculation}); every {@link NoetherConfig#analysisEvery()} iterations, after the update
 * ({@code iterationDone}), it runs the probe batch through the network for the heavy analysis. It never
 * throws into training and never changes what training computes; its own failures are counted in
 * {@code noether_errors_total}. The network is read at the first iteration; one listener watches one network.
 */
public final class NoetherListener implements TrainingListener, AutoCloseable {
    /** The value of the {@code engine} tag of {@code noether_info}. */
    static final String ENGINE = "DL4J/ND4J";
    /** DL4J networks have no name: the {@code model} tag unless the builder names one. */
    static final String DEFAULT_MODEL_NAME = "dl4j";

    private final ListenerSettings settings;
    private final OptimizerSettings optimizer;
    private final ProbeBatch probe;

    private volatile Binding binding;

    /** What this listener knows about the one network it watches. */
    private static final class Binding {
        final Dl4jGraph chain;
        final NoetherMonitor monitor;
        ProbeBatch probe;

        Binding(Dl4jGraph chain, NoetherMonitor monitor, ProbeBatch probe) {
            this.chain = chain;
            this.monitor = monitor;
            this.probe = probe;
        }
    }

    private NoetherListener(Builder b) {
        this.settings = b.settings();
        this.optimizer = settings.optimizer().orElse(null);
        this.probe = b.probeFeatures == null ? null
                : ProbeBatch.copyOf(b.probeFeatures, b.probeLabels, Integer.MAX_VALUE);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The monitor, once the first iteration has bound the listener to its network. */
    public Optional<NoetherMonitor> monitor() {
        Binding b = binding;
        return b == null ? Optional.empty() : Optional.of(b.monitor);
    }

    /** θ(t) and ĝ(t): parameters not yet updated, gradients of the loss alone, summed over the minibatch. */
    @Override
    public void onGradientCalculation(Model model) {
        Binding b = null;
        try {
            b = bind(model);
            if (b == null) {
                return;
            }
            Dl4jGraph chain = b.chain;
            // the copy runs only on the steps the monitor observes (two consecutive steps in K)
            b.monitor.onStep(chain.iteration(), () -> Dl4jStepCapture.capture(chain, optimizer != null ? optimizer
                    : Dl4jOptimizerReader.read(chain.linear(), chain.iteration(), chain.epoch())));
        } catch (Throwable e) {
            failed(b, e);
        }
    }

    /**
     * The default probe batch is copied here, at the first backward pass: the only callback where a
     * ComputationGraph's output layer still holds the labels.
     */
    @Override
    public void onBackwardPass(Model model) {
        Binding b = null;
        try {
            b = bind(model);
            if (b != null && b.probe == null) {
                INDArray features = b.chain.features();
                b.probe = features == null ? null
                        : ProbeBatch.copyOf(features, b.chain.labels(), ProbeBatch.DEFAULT_SAMPLES);
            }
        } catch (Throwable e) {
            failed(b, e);
        }
    }

    /**
     * After the update: the probe's forward and backward passes, when an analysis is due. They use their own
     * arrays and leave the network's gradient buffer and input as they were.
     */
    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        Binding b = binding;
        try {
            if (b == null || b.chain.model() != model) {
                return;
            }
            ProbeBatch batch = b.probe;
            b.monitor.analyze(iteration, batch == null ? null
                    : () -> Dl4jProbe.compute(b.chain, batch.features(), batch.labels()));
        } catch (Throwable e) {
            failed(b, e);
        }
    }

    @Override
    public void onEpochStart(Model model) {
    }

    @Override
    public void onEpochEnd(Model model) {
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
    }

    /** Stops the background analysis thread; the meters keep their last values. */
    @Override
    public void close() {
        Binding b = binding;
        if (b != null) {
            b.monitor.close();
        }
    }

    private Binding bind(Model model) {
        Binding b = binding;
        if (b != null) {
            if (b.chain.model() != model) {
                b.monitor.recordError("adapter", new IllegalStateException("this NoetherListener already watches "
                        + "another network; give each network its own listener"));
                return null;
            }
            return b;
        }
        Dl4jGraph chain;
        RuntimeException mappingError = null;
        try {
            chain = Dl4jNetworkMapper.map(model, settings.modelName(DEFAULT_MODEL_NAME));
        } catch (RuntimeException e) {
            mappingError = e;
            chain = Dl4jNetworkMapper.unmapped(model, settings.modelName(DEFAULT_MODEL_NAME), e);
        }
        NoetherMonitor monitor = settings.start(chain.description(), ENGINE);
        if (mappingError != null) {
            monitor.recordError("adapter", mappingError);
        }
        b = new Binding(chain, monitor, probe);
        binding = b;
        return b;
    }

    private static void failed(Binding b, Throwable e) {
        if (b != null) {
            b.monitor.recordError("adapter", e);
        }
    }

    /** Configures a {@link NoetherListener}: the options every Noether listener has, and the probe batch. */
    public static final class Builder extends ListenerBuilder<Builder> {
        private INDArray probeFeatures;
        private INDArray probeLabels;

        private Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        /**
         * The fixed probe batch of the heavy analysis (copied here). Labels may be null, which leaves out
         * the gradient moments. Default: a copy of the first minibatch, up to 256 samples.
         */
        public Builder probe(INDArray features, INDArray labels) {
            this.probeFeatures = Objects.requireNonNull(features, "features");
            this.probeLabels = labels;
            return this;
        }

        public NoetherListener build() {
            return new NoetherListener(this);
        }
    }
}
