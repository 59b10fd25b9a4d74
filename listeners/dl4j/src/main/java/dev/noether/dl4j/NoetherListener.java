package dev.noether.dl4j;

import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
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
 * On the iterations its overhead budget lets the monitor observe, it copies the linear layers' parameters and
 * loss gradients before DL4J's update ({@code onGradientCalculation}; the score of every iteration is checked
 * for NaN, which costs nothing); every {@link NoetherConfig#analysisEvery()} iterations, after the update
 * ({@code iterationDone}), it runs the probe batch through the network for the heavy analysis. It never
 * throws into training and never changes what training computes; its own failures are counted in
 * {@code noether_errors_total}. The network is read at the first iteration; one listener watches one network.
 *
 * <p>The final state (METRICS.md §6): DL4J has no end-of-{@code fit} callback, but every {@code fit(iterator)}
 * (each epoch of {@code fit(iterator, epochs)}) ends with {@code onEpochEnd}. There the listener observes and
 * analyses the parameters once more, synchronously within {@link NoetherMonitor#FINAL_ANALYSIS_TIMEOUT}, at most
 * once per {@link NoetherConfig#minAnalysisInterval()} so that many short epochs do not pay it each time.
 * {@link #close()} after training always does it (unless that state was just analysed), and so does the
 * agent at JVM shutdown; loops of {@code fit(DataSet)} should call {@code close()}.
 */
public final class NoetherListener implements TrainingListener, AutoCloseable {
    /** The value of the {@code engine} tag of {@code noether_info}. */
    static final String ENGINE = "DL4J/ND4J";
    /** DL4J networks have no name: the {@code model} tag unless the builder names one. */
    static final String DEFAULT_MODEL_NAME = "dl4j";
    private static final System.Logger LOG = System.getLogger("dev.noether.dl4j");

    private final ListenerSettings settings;
    private final OptimizerSettings optimizer;
    private final ProbeBatch probe;

    private volatile Binding binding;
    private long finishedStep = -1;
    private long lastEpochEndNanos;
    private boolean epochEndFinished;

    /** What this listener knows about the one network it watches. */
    private static final class Binding {
        final Dl4jGraph chain;
        final NoetherMonitor monitor;
        final Dl4jStepCapture capture;
        ProbeBatch probe;

        Binding(Dl4jGraph chain, NoetherMonitor monitor, ProbeBatch probe) {
            this.chain = chain;
            this.capture = new Dl4jStepCapture(chain);
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
            // DL4J has the score at hand: a non-finite loss on a step the budget would skip is still observed
            b.monitor.onLoss(chain.iteration(), model.score());
            // the copy runs only on the steps the monitor observes
            Binding bound = b;
            b.monitor.onStep(chain.iteration(), () -> bound.capture.capture(optimizer != null ? optimizer
                    : Dl4jOptimizerReader.read(chain.linear(), chain.iteration(), chain.epoch()),
                    bound.monitor.wantsWeights(chain.iteration())));
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

    /** The end of a {@code fit(iterator)}: the final-state analysis, at most once per time floor (see the class). */
    @Override
    public void onEpochEnd(Model model) {
        Binding b = binding;
        if (b == null || b.chain.model() != model) {
            return;
        }
        long now = System.nanoTime();
        if (epochEndFinished && now - lastEpochEndNanos < b.monitor.config().minAnalysisInterval().toNanos()) {
            return;
        }
        epochEndFinished = true;
        lastEpochEndNanos = now;
        finish(b);
    }

    /**
     * Observes and analyses the final parameters now (METRICS.md §6), unless this state was already analysed:
     * synchronous, bounded by {@link NoetherMonitor#FINAL_ANALYSIS_TIMEOUT} (past it counted as skipped, reason
     * "timeout"). Call it after the last {@code fit}; {@link #close()} does.
     *
     * @return true when a final analysis was published
     */
    public synchronized boolean finish() {
        Binding b = binding;
        return b != null && finish(b);
    }

    private synchronized boolean finish(Binding b) {
        try {
            Dl4jGraph chain = b.chain;
            long end = chain.iteration(); // updates applied so far: the state after the last one
            if (end == finishedStep || b.monitor.steps() == 0) {
                return false;
            }
            finishedStep = end;
            ProbeBatch batch = b.probe;
            boolean done = b.monitor.finish(end, () -> b.capture.capture(optimizer != null ? optimizer
                            : Dl4jOptimizerReader.read(chain.linear(), chain.iteration(), chain.epoch()), true),
                    batch == null ? null : () -> Dl4jProbe.compute(chain, batch.features(), batch.labels()),
                    NoetherMonitor.FINAL_ANALYSIS_TIMEOUT);
            LOG.log(System.Logger.Level.DEBUG, () -> "Noether: final state of '" + b.monitor.description().model()
                    + "' after " + end + " iterations " + (done ? "analysed" : "not analysed in time"));
            return done;
        } catch (Throwable e) {
            failed(b, e);
            return false;
        }
    }

    @Override
    public void onForwardPass(Model model, List<INDArray> activations) {
    }

    @Override
    public void onForwardPass(Model model, Map<String, INDArray> activations) {
    }

    /** Analyses the final state ({@link #finish()}), then stops the background analysis thread; the meters keep their last values. */
    @Override
    public void close() {
        Binding b = binding;
        if (b != null) {
            finish(b);
            b.monitor.close();
        }
    }

    private Binding bind(Model model) {
        Binding b = binding;
        if (b != null) {
            if (b.chain.model() != model) {
                b.monitor.recordError(Stage.ADAPTER, new IllegalStateException("this NoetherListener already watches "
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
            monitor.recordError(Stage.ADAPTER, mappingError);
        }
        b = new Binding(chain, monitor, probe);
        binding = b;
        return b;
    }

    private static void failed(Binding b, Throwable e) {
        if (b != null) {
            b.monitor.recordError(Stage.ADAPTER, e);
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
