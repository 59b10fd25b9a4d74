package dev.noether.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import dev.noether.core.spi.ListenerBuilder;
import dev.noether.core.spi.ListenerSettings;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

/**
 * A DJL {@link TrainingListener} that watches the model learn and publishes Noether's metrics to Micrometer
 * (named like DJL's own {@code LoggingTrainingListener}; the DL4J adapter's is {@code dev.noether.dl4j.NoetherTrainingListener}).
 *
 * <pre>{@code
 * DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
 *         .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build())
 *         .addTrainingListeners(NoetherTrainingListener.builder().registry(meterRegistry).build());
 * }</pre>
 *
 * On the first training batch (when the parameters are initialized) it maps the model's {@code SequentialBlock}
 * to Noether's network description, starts a {@link NoetherMonitor} and binds its meters to the registry. Then,
 * in every {@code onTrainingBatch} (after backward, before {@code trainer.step()}):
 * <ul>
 *   <li>the weights, biases and batch-mean gradients of every {@code Linear}, the batch loss (the trainer's
 *       loss on the predictions it passed to its listeners) and the optimizer's η and γ go to the every-step
 *       tier;</li>
 *   <li>every {@link NoetherConfig#analysisEvery()} steps, the probe batch runs through the blocks on detached
 *       parameters to measure activations and per-sample gradients for the heavy tier.</li>
 * </ul>
 * It never changes what training computes and never throws into the training loop: its own failures are
 * counted in {@code noether_errors_total{stage="adapter"}} and logged at a limited rate. One listener watches
 * one training run. In {@code onTrainingEnd} (when the trainer is closed) it observes and analyses the final
 * parameters once more, synchronously but within {@link NoetherMonitor#FINAL_ANALYSIS_TIMEOUT} (METRICS.md §6),
 * then stops its monitor; the last values stay readable.
 */
public final class NoetherTrainingListener implements TrainingListener, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.noether.djl");

    private final ListenerSettings settings;
    private final int probeSamples;
    private final NDList probeInputs;
    private final NDList probeLabels;

    private volatile NoetherMonitor monitor;
    private StepCapture capture;
    private OptimizerReader optimizerReader;
    private ProbeBatch probeBatch;
    private ProbeRunner probe;
    /** The mapped network while no probe batch has been taken yet (a loop that passes no batch), else null. */
    private MappedNetwork awaitingProbe;
    private boolean saidNoBatch;
    private long step;
    private boolean stopped;
    private boolean closed;
    private boolean finished;
    private Trainer lastTrainer;
    private OptimizerSettings lastOptimizer = OptimizerSettings.unknown();
    private final AtomicLong failuresBeforeStart = new AtomicLong();

    private NoetherTrainingListener(Builder b) {
        this.settings = b.settings();
        this.probeSamples = b.probeSamples;
        this.probeInputs = b.probeInputs;
        this.probeLabels = b.probeLabels;
    }

    /** Starts a listener with the defaults: global registry, DJL model name, N = 50, 256 probe samples. */
    public static Builder builder() {
        return new Builder();
    }

    /** The monitor, once the first training batch has started it; empty before. */
    public Optional<NoetherMonitor> monitor() {
        return Optional.ofNullable(monitor);
    }

    /** Failures before a monitor existed to count them (the monitor counts all later ones). */
    long failuresBeforeStart() {
        return failuresBeforeStart.get();
    }

    @Override
    public synchronized void onTrainingBatch(Trainer trainer, BatchData batchData) {
        if (stopped) {
            return;
        }
        try {
            if (monitor == null) {
                start(trainer, batchData);
            }
            NoetherMonitor m = monitor;
            lastTrainer = trainer;
            long s = step++;
            m.onStep(s, () -> snapshot(m, trainer, batchData, s)); // copies only on the steps core observes
            if (awaitingProbe != null) {
                startProbe(trainer, batchData, awaitingProbe, m);
            }
            ProbeRunner runner = probe;
            m.analyzeWithin(s, runner == null ? null : allowance -> runner.compute(trainer, allowance));
        } catch (Throwable e) {
            fail(e);
        }
    }

    @Override
    public void onTrainingBegin(Trainer trainer) {
        // Parameters are not initialized yet (Trainer calls this from its constructor): start on the first batch.
    }

    @Override
    public void onEpoch(Trainer trainer) {
        // nothing per epoch
    }

    @Override
    public void onValidationBatch(Trainer trainer, BatchData batchData) {
        // validation does not change the parameters
    }

    @Override
    public synchronized void onTrainingEnd(Trainer trainer) {
        finish();
        close();
    }

    /**
     * Stops watching: frees the probe batch and stops the monitor (its last values stay readable). Called by
     * {@link #onTrainingEnd} after the final analysis; call it yourself for a loop that never ends training
     * through a {@code Trainer} (after {@link #finish()} if the final state should be analysed).
     */
    @Override
    public synchronized void close() {
        stopped = true;
        lastTrainer = null;
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (probeBatch != null) {
                probeBatch.close();
            }
            if (capture != null) {
                capture.close();
            }
            if (monitor != null) {
                monitor.close();
            }
        } catch (Throwable e) {
            fail(e);
        }
    }

    /**
     * Observes and analyses the final parameters (METRICS.md §6), once: synchronous, bounded by
     * {@link NoetherMonitor#FINAL_ANALYSIS_TIMEOUT} (past it the analysis is counted as skipped, reason
     * "timeout"). {@code onTrainingEnd} calls it; so does the agent at JVM shutdown for a trainer never closed.
     *
     * @return true when the final analysis was published
     */
    public synchronized boolean finish() {
        return finish(NoetherMonitor.FINAL_ANALYSIS_TIMEOUT);
    }

    /**
     * Like {@link #finish()} within {@code timeout}, probe included (the agent shares one bound among all the
     * trainers it finishes at JVM shutdown).
     */
    public synchronized boolean finish(Duration timeout) {
        NoetherMonitor m = monitor;
        Trainer trainer = lastTrainer;
        if (finished || stopped || m == null || trainer == null) {
            return false;
        }
        finished = true;
        try {
            long end = step; // the state after the last update
            ProbeRunner runner = probe;
            boolean done = m.finishWithin(end, () -> capture.capture(end, null, settings.optimizer().orElse(lastOptimizer), true),
                    runner == null ? null : allowance -> runner.compute(trainer, allowance), timeout);
            LOG.log(System.Logger.Level.INFO, () -> "Noether: final state of '" + m.description().model() + "' after "
                    + end + " steps " + (done ? "analysed" : "not analysed in time (counted as skipped, reason timeout)"));
            return done;
        } catch (Throwable e) {
            fail(e);
            return false;
        }
    }

    private void start(Trainer trainer, BatchData batchData) {
        String model = settings.modelName(trainer.getModel().getName());
        MappedNetwork network;
        RuntimeException mappingError = null;
        try {
            network = new DjlNetworkMapper(trainer.getManager()).map(model, trainer.getModel().getBlock());
        } catch (RuntimeException e) {
            mappingError = e;
            network = new MappedNetwork(NetworkDescription.builder(model)
                    .unsupported(trainer.getModel().getBlock().getClass().getSimpleName(), "mapping failed: " + e)
                    .build(), List.of(), null);
        }
        NoetherMonitor m = settings.start(network.description(), "DJL/" + trainer.getManager().getEngine().getEngineName());
        if (mappingError != null) {
            m.recordError(Stage.ADAPTER, mappingError);
        }
        capture = new StepCapture(network.dense());
        if (settings.optimizer().isEmpty() && !network.dense().isEmpty()) {
            try {
                optimizerReader = OptimizerReader.of(trainer, network.dense().get(0).weight().getId());
            } catch (ReflectiveOperationException | RuntimeException e) {
                m.recordError(Stage.ADAPTER, new IllegalStateException("cannot read the DJL optimizer (η, γ); pass "
                        + "NoetherTrainingListener.builder().optimizer(OptimizerSettings...) to name it", e));
            }
        }
        if (network.plan() != null && !network.dense().isEmpty()) {
            startProbe(trainer, batchData, network, m);
        }
        monitor = m; // last: a start that failed half-way is not retried (see fail)
    }

    /**
     * The probe batch: the one given to the builder, else the first batch the loop passes. A loop that passes
     * none (a reinforcement-learning agent, a hand-written loop calling {@code trainer.notifyListeners} with a
     * {@code BatchData} whose batch is null) is told once, in one line, that activation metrics are off until a
     * batch comes, and how to give a probe; its analyses read the weights alone until then.
     */
    private void startProbe(Trainer trainer, BatchData batchData, MappedNetwork network, NoetherMonitor m) {
        NDList inputs = probeInputs;
        NDList labels = probeLabels;
        if (inputs == null) {
            Batch batch = batchData == null ? null : batchData.getBatch();
            if (batch == null || batch.getData() == null || batch.getData().isEmpty()) {
                awaitingProbe = network;
                if (!saidNoBatch) {
                    saidNoBatch = true;
                    LOG.log(System.Logger.Level.WARNING, "Noether: the training loop of '" + m.description().model()
                            + "' passes no batch to its listeners (BatchData.getBatch() is null), so activation "
                            + "metrics (representation ranks, CRH, PAH, neuron correlation) are off until one comes; "
                            + "give a probe batch with NoetherTrainingListener.builder().probe(inputs, labels)");
                }
                return;
            }
            inputs = batch.getData();
            labels = batch.getLabels();
        }
        awaitingProbe = null;
        try {
            Device device = network.dense().get(0).weight().getArray().getDevice();
            probeBatch = ProbeBatch.copyOf(inputs, labels, probeSamples, trainer.getManager(), device);
            probe = new ProbeRunner(network, probeBatch);
        } catch (RuntimeException e) {
            m.recordError(Stage.PROBE, e);
        }
    }

    private StepSnapshot snapshot(NoetherMonitor m, Trainer trainer, BatchData batchData, long s) {
        DoubleSupplier loss = null;
        try {
            loss = capture.deferredLoss(trainer, batchData, e -> m.recordError(Stage.ADAPTER, e));
        } catch (RuntimeException e) {
            m.recordError(Stage.ADAPTER, e);
        }
        return capture.capture(s, loss, optimizerSettings(m), m.wantsWeights(s)); // no predictions: the loss is unknown
    }

    private OptimizerSettings optimizerSettings(NoetherMonitor m) {
        if (settings.optimizer().isPresent()) {
            return settings.optimizer().get();
        }
        if (optimizerReader == null) {
            return OptimizerSettings.unknown();
        }
        try {
            lastOptimizer = optimizerReader.next();
            return lastOptimizer;
        } catch (ReflectiveOperationException | RuntimeException e) {
            optimizerReader = null;
            m.recordError(Stage.ADAPTER, e);
            return OptimizerSettings.unknown();
        }
    }

    private void fail(Throwable e) {
        NoetherMonitor m = monitor;
        if (m != null) {
            m.recordError(Stage.ADAPTER, e);
            return;
        }
        // no monitor to count it: give up on this run rather than retry the start on every batch
        stopped = true;
        if (failuresBeforeStart.getAndIncrement() == 0) {
            LOG.log(System.Logger.Level.WARNING, "Noether could not start watching this training run (" + e
                    + "); training continues without it (the stack trace is logged at DEBUG)");
            LOG.log(System.Logger.Level.DEBUG, "Noether could not start watching this training run", e);
        }
    }

    /** Builds a {@link NoetherTrainingListener}: the options every Noether listener has, and the probe batch. */
    public static final class Builder extends ListenerBuilder<Builder> {
        private int probeSamples = 256;
        private NDList probeInputs;
        private NDList probeLabels;

        private Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        /** How many rows of the probe batch to keep (default 256). */
        public Builder probeSamples(int samples) {
            if (samples < 1) {
                throw new IllegalArgumentException("probeSamples must be at least 1, got " + samples);
            }
            this.probeSamples = samples;
            return this;
        }

        /**
         * A fixed probe batch (inputs, and labels for the per-sample gradients; labels may be null). Its first
         * {@link #probeSamples} rows are copied at the first training batch, so the arrays must stay open until
         * then. Default: the first training batch.
         */
        public Builder probe(NDList inputs, NDList labels) {
            this.probeInputs = Objects.requireNonNull(inputs, "inputs");
            this.probeLabels = labels;
            return this;
        }

        public NoetherTrainingListener build() {
            return new NoetherTrainingListener(this);
        }
    }
}
