package dev.noether.dl4j;

import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.Stage;
import dev.noether.core.spi.ListenerBuilder;
import dev.noether.core.spi.ListenerSettings;
import dev.noether.core.worker.WorkerIdentity;
import dev.noether.core.worker.WorkerMonitors;
import dev.noether.core.worker.WorkerSink;
import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.core.storage.listener.RoutingIterationListener;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.ObjectInputStream;
import java.io.Serial;
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
 *
 * <p><b>Data-parallel training</b> (module README, "Data-parallel training"). DL4J's {@code ParallelWrapper} clones this listener for
 * each replica ({@link #clone()}, as it does for every {@link RoutingIterationListener}); Spark serializes it to
 * its workers, where it comes back as a worker listener ({@link WorkerSink} says where a remote worker publishes;
 * in the JVM that built it, the builder's registry). A worker listener reports as {@code worker=<executor>-p<n>}
 * (a Spark partition) or {@code <worker>-r<n>} (a replica) and feeds that worker's one monitor
 * ({@link WorkerMonitors}), so the fresh network of every averaging round continues the worker's series instead of
 * adding a model. {@link #watch(Model)} binds the listener to the averaged model (Spark's driver network, the
 * wrapper's model), the run's model, which {@link #finish()} then analyses.
 */
public final class NoetherListener implements RoutingIterationListener, AutoCloseable {
    @Serial
    private static final long serialVersionUID = 1L;
    /** The value of the {@code engine} tag of {@code noether_info}. */
    static final String ENGINE = "DL4J/ND4J";
    /** DL4J networks have no name: the {@code model} tag unless the builder names one. */
    static final String DEFAULT_MODEL_NAME = "dl4j";
    private static final System.Logger LOG = System.getLogger("dev.noether.dl4j");

    // Never serialized as such: writeReplace() ships a Shipped, which becomes a worker listener where it lands.
    private final transient ListenerSettings settings;
    private final transient OptimizerSettings optimizer;
    private final transient ProbeBatch probe;
    private final transient WorkerSink workerSink; // null: the global registry on a remote worker
    /** null: the listener's own monitor; "": a worker listener, its worker read at binding; else that worker. */
    private final transient String worker;
    private transient StatsStorageRouter router = NO_ROUTER;
    private transient String workerId;
    private transient String sessionId;

    private transient volatile Binding binding;
    private long finishedStep = -1;
    private long lastEpochEndNanos;
    private boolean epochEndFinished;

    /** What this listener knows about the one network it watches. */
    private static final class Binding {
        final Dl4jGraph chain;
        final Dl4jStepCapture capture;
        NoetherMonitor monitor;
        WorkerMonitors.Slot slot; // a worker listener's: the worker's monitor, shared with its earlier networks
        // bound by watch(), a model that does not train through this listener, until it does after all
        volatile boolean watched;
        long watchedStep = -1;
        ProbeBatch probe;

        Binding(Dl4jGraph chain, ProbeBatch probe, boolean watched) {
            this.chain = chain;
            this.capture = new Dl4jStepCapture(chain);
            this.probe = probe;
            this.watched = watched;
        }

        /** The monitor's step for the network's iteration (a worker's steps continue across its networks). */
        long step(long iteration) {
            return slot == null ? iteration : slot.step(iteration);
        }

        /** False once a later network of the same worker took the monitor over. */
        boolean current() {
            return slot == null || slot.ownedBy(this);
        }
    }

    private NoetherListener(Builder b) {
        this(b.settings(), b.probeFeatures == null ? null
                : ProbeBatch.copyOf(b.probeFeatures, b.probeLabels, Integer.MAX_VALUE), b.workerSink, b.worker);
    }

    /**
     * The data-parallel worker the calling thread trains as, if any: inside a Spark task its executor and partition
     * ({@code driver-p0}), on a ParallelWrapper training thread {@code <that or host-pid>-r<replica>}. The agent
     * tags the networks it finds there with it.
     */
    public static Optional<String> dataParallelWorker() {
        Optional<String> task = WorkerIdentity.sparkTask();
        java.util.OptionalInt replica = ReplicaNumber.onTrainingThread();
        if (replica.isEmpty()) return task;
        return Optional.of(task.orElse(WorkerIdentity.process()) + "-r" + replica.getAsInt());
    }

    private NoetherListener(ListenerSettings settings, ProbeBatch probe, WorkerSink workerSink, String worker) {
        this.settings = settings;
        this.optimizer = settings.optimizer().orElse(null);
        this.probe = probe;
        this.workerSink = workerSink;
        this.worker = worker;
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
            long step = b.step(chain.iteration());
            // DL4J has the score at hand: a non-finite loss on a step the budget would skip is still observed
            b.monitor.onLoss(step, model.score());
            // the copy runs only on the steps the monitor observes
            Binding bound = b;
            b.monitor.onStep(step, () -> bound.capture.capture(optimizer != null ? optimizer
                    : Dl4jOptimizerReader.read(chain.linear(), chain.iteration(), chain.epoch()),
                    bound.monitor.wantsWeights(step)).atStep(step));
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
                if (b.slot != null) {
                    b.slot.carry(b.probe); // the worker's later networks are probed on the same batch
                }
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
            if (b == null || b.chain.model() != model || !b.current()) {
                return;
            }
            ProbeBatch batch = b.probe;
            b.monitor.analyze(b.step(iteration), batch == null ? null
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
        if (b == null || b.chain.model() != model || !b.current()) {
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
            if (!b.current()) {
                return false;
            }
            // updates applied so far: the state after the last one; a watched model's every finish is a new state
            long end = b.watched ? Math.max(chain.iteration(), b.watchedStep + 1) : b.step(chain.iteration());
            if (end == finishedStep) {
                return false;
            }
            if (b.watched) {
                // it never trains through this listener: its averaged state is one observed step
                b.watchedStep = end;
                b.monitor.onStep(end, () -> b.capture.capture(optimizer != null ? optimizer
                        : Dl4jOptimizerReader.read(chain.linear(), chain.iteration(), chain.epoch()), true).atStep(end));
            }
            if (b.monitor.steps() == 0) {
                return false;
            }
            finishedStep = end;
            ProbeBatch batch = b.probe;
            boolean done = b.monitor.finish(end, () -> b.capture.capture(optimizer != null ? optimizer
                            : Dl4jOptimizerReader.read(chain.linear(), chain.iteration(), chain.epoch()), true).atStep(end),
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

    /**
     * Analyses the final state ({@link #finish()}), then stops the background analysis thread; the meters keep their
     * last values. A worker listener leaves the worker's monitor running for the worker's next network
     * ({@link WorkerMonitors#releaseAll} ends it).
     */
    @Override
    public void close() {
        Binding b = binding;
        if (b != null) {
            finish(b);
            if (b.slot == null) {
                b.monitor.close();
            }
        }
    }

    /**
     * Binds this listener now to {@code network}, a model that does not train through it: the averaged model of a
     * data-parallel run (Spark's {@code sparkNet.getNetwork()}, a {@code ParallelWrapper}'s model), the run's model.
     * Each {@link #finish()} then observes and analyses its current parameters. Does nothing if already bound; a
     * watched network that then trains through this listener is an ordinary one from its first training step on.
     */
    public void watch(Model network) {
        Objects.requireNonNull(network, "network");
        synchronized (this) {
            if (binding == null) {
                binding = newBinding(network, true);
            }
        }
    }

    /** The {@code worker} this listener reports as; empty for a listener of one network that is not a worker's. */
    public Optional<String> worker() {
        Binding b = binding;
        if (b != null && b.slot != null) return Optional.of(b.slot.worker());
        return worker == null || worker.isEmpty() ? Optional.empty() : Optional.of(worker);
    }

    private Binding bind(Model model) {
        Binding b = binding;
        if (b != null) {
            if (b.chain.model() != model) {
                b.monitor.recordError(Stage.ADAPTER, new IllegalStateException("this NoetherListener already watches "
                        + "another network; give each network its own listener"));
                return null;
            }
            b.watched = false; // a training callback: it trains through this listener after all
            return b.current() ? b : null;
        }
        synchronized (this) {
            if (binding == null) {
                binding = newBinding(model, false);
            }
            Binding bound = binding;
            if (bound.chain.model() != model || !bound.current()) return null;
            bound.watched = false;
            return bound;
        }
    }

    private Binding newBinding(Model model, boolean watched) {
        Dl4jGraph chain;
        RuntimeException mappingError = null;
        try {
            chain = Dl4jNetworkMapper.map(model, settings.modelName(DEFAULT_MODEL_NAME));
        } catch (RuntimeException e) {
            mappingError = e;
            chain = Dl4jNetworkMapper.unmapped(model, settings.modelName(DEFAULT_MODEL_NAME), e);
        }
        Binding b = new Binding(chain, probe, watched);
        if (worker == null) {
            b.monitor = settings.start(chain.description(), ENGINE);
        } else {
            String w = worker.isEmpty() ? WorkerIdentity.current() : worker;
            b.slot = WorkerMonitors.shared().take(b, settings, w, chain.description(), ENGINE, chain.iteration());
            b.monitor = b.slot.monitor();
            if (b.probe == null && b.slot.carried() instanceof ProbeBatch carried) {
                b.probe = carried;
            }
        }
        if (mappingError != null) {
            b.monitor.recordError(Stage.ADAPTER, mappingError);
        }
        return b;
    }

    // ---- data parallelism: ParallelWrapper's replicas (clone) and Spark's workers (serialization) ----

    /**
     * A listener for one more replica of the network (DL4J's {@code ParallelWrapper} calls it for each replica, as
     * for every {@link RoutingIterationListener}): same settings, reporting as worker {@code <worker>-r<replica>},
     * where the replica is the wrapper's trainer thread number. Its monitor is that worker's, shared with the
     * replicas of later wrappers.
     */
    @Override
    public NoetherListener clone() {
        String base = worker != null && !worker.isEmpty() ? worker : WorkerIdentity.current();
        return new NoetherListener(settings, probe, workerSink, base + "-r" + ReplicaNumber.current());
    }

    @Override
    public void setStorageRouter(StatsStorageRouter router) {
        this.router = router == null ? NO_ROUTER : router;
    }

    /** DL4J's stats router, unused by Noether; never null, so DL4J does not warn about a listener without one. */
    @Override
    public StatsStorageRouter getStorageRouter() {
        return router;
    }

    /** DL4J's own worker id (a UUID), kept for DL4J; the {@code worker} tag is {@link #worker()}. */
    @Override
    public void setWorkerID(String workerID) {
        this.workerId = workerID;
    }

    @Override
    public String getWorkerID() {
        return workerId;
    }

    @Override
    public void setSessionID(String sessionID) {
        this.sessionId = sessionID;
    }

    @Override
    public String getSessionID() {
        return sessionId;
    }

    /** Spark ships the listener to its workers: what travels is the configuration ({@link Shipped}), not the monitor. */
    @Serial
    private Object writeReplace() {
        return new Shipped(this);
    }

    @Serial
    private void readObject(ObjectInputStream in) throws java.io.InvalidObjectException {
        throw new java.io.InvalidObjectException("a NoetherListener travels as its configuration");
    }

    private static final StatsStorageRouter NO_ROUTER = new NoRouter();

    /** Drops what DL4J routes to it: Noether publishes through Micrometer and its own report listeners. */
    private static final class NoRouter implements StatsStorageRouter, java.io.Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        @Override public void putStorageMetaData(org.deeplearning4j.core.storage.StorageMetaData m) { }
        @Override public void putStorageMetaData(java.util.Collection<? extends org.deeplearning4j.core.storage.StorageMetaData> m) { }
        @Override public void putStaticInfo(org.deeplearning4j.core.storage.Persistable p) { }
        @Override public void putStaticInfo(java.util.Collection<? extends org.deeplearning4j.core.storage.Persistable> p) { }
        @Override public void putUpdate(org.deeplearning4j.core.storage.Persistable p) { }
        @Override public void putUpdate(java.util.Collection<? extends org.deeplearning4j.core.storage.Persistable> p) { }
    }

    /**
     * The serialized form: the configuration, and where a worker publishes. Read back in the JVM that built the
     * listener (Spark local mode), it uses the original registry and report listeners; in another JVM, the
     * {@link WorkerSink}'s (default: Micrometer's global registry). Either way it becomes a worker listener whose
     * worker is read where it binds (the Spark task's executor and partition).
     */
    private static final class Shipped implements java.io.Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        private final java.util.UUID origin;
        private final String modelName;
        private final String config;
        private final String worker;
        private final WorkerSink sink;
        private final INDArray probeFeatures;
        private final INDArray probeLabels;

        Shipped(NoetherListener l) {
            this.origin = ShippedOrigins.register(l.settings);
            this.modelName = l.settings.modelName(null);
            this.config = l.settings.config().toString();
            this.worker = l.worker == null ? "" : l.worker;
            this.sink = l.workerSink;
            this.probeFeatures = l.probe == null ? null : l.probe.features();
            this.probeLabels = l.probe == null ? null : l.probe.labels();
        }

        @Serial
        private Object readResolve() {
            ListenerSettings settings = ShippedOrigins.lookup(origin);
            if (settings == null) {
                Builder b = builder().config(dev.noether.core.runtime.NoetherConfig.parse(config));
                if (modelName != null) b.modelName(modelName);
                if (sink != null) {
                    b.registry(sink.registry());
                    sink.reportListeners().forEach(b::addListener);
                } // else Micrometer's global registry, the builder's default
                settings = b.settings();
            }
            ProbeBatch probe = probeFeatures == null ? null
                    : ProbeBatch.copyOf(probeFeatures, probeLabels, Integer.MAX_VALUE);
            return new NoetherListener(settings, probe, sink, worker);
        }
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
        private WorkerSink workerSink;
        private String worker;

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

        /**
         * Where the copies of this listener that Spark ships to other JVMs (executors) publish: e.g. the exporter's
         * {@code ExporterSink}, one endpoint per executor. Default: Micrometer's global registry there. In this JVM
         * (Spark local mode, ParallelWrapper) the copies use this builder's registry and report listeners.
         */
        public Builder onWorkers(WorkerSink sink) {
            this.workerSink = Objects.requireNonNull(sink, "sink");
            return this;
        }

        /**
         * Makes the listener a worker's of a data-parallel run: its meters carry {@code worker=<worker>}, and it shares
         * that worker's monitor with the worker's other networks in this JVM ({@link WorkerMonitors}), so a worker
         * that gets a fresh network every round keeps one set of series. Listeners that Spark ships or
         * ParallelWrapper clones are workers' by themselves; this is for code that builds a listener per round.
         */
        public Builder worker(String worker) {
            Objects.requireNonNull(worker, "worker");
            if (worker.isBlank()) throw new IllegalArgumentException("worker must not be empty");
            this.worker = worker;
            return this;
        }

        public NoetherListener build() {
            return new NoetherListener(this);
        }
    }
}
