package dev.noether.agent;

import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.exporter.NoetherExporter;
import io.micrometer.core.instrument.MeterRegistry;
import dev.noether.core.runtime.NoetherMonitor;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What every listener the agent attaches shares: the exporter's registry, the analysis settings, the event
 * log. Started once, when the application creates its first trainer or network, so that a JVM that never
 * trains never opens a port. Public only for the bridge classes in the framework's class loader.
 */
public final class MonitorSession {
    // Kept so that the level set below is not lost when the logger is garbage-collected.
    private static final Logger NOETHER_LOG = Logger.getLogger("dev.noether");

    private final NoetherExporter exporter;
    private final NoetherConfig config;
    private final Optional<String> model;
    private final Set<String> modelNames = new HashSet<>();
    /**
     * Final-state observations to run at JVM shutdown (METRICS.md §6), each given what is left of the one bound they
     * share; held weakly: a dropped model is not kept.
     */
    private final List<Consumer<Duration>> atShutdown = new CopyOnWriteArrayList<>();

    private MonitorSession(NoetherExporter exporter, NoetherConfig config, Optional<String> model) {
        this.exporter = exporter;
        this.config = config;
        this.model = model;
    }

    /**
     * Starts the exporter and prints the one line that says where the metrics are.
     *
     * @throws RuntimeException when the endpoint cannot start (typically: the port is taken)
     */
    static MonitorSession start(AgentOptions options, NoetherConfig config) throws InterruptedException {
        // The agent speaks in single "noether:" lines; the library's INFO logs (two lines each through the JDK's
        // default logging) would repeat them. Warnings still show.
        NOETHER_LOG.setLevel(Level.WARNING);
        NoetherExporter.Builder builder = NoetherExporter.builder().host(options.host()).port(options.port())
                .gpuMetrics(options.gpu());
        options.run().ifPresent(builder::run);
        options.worker().ifPresent(builder::worker);
        options.targets().ifPresent(builder::targets);
        options.eventLog().ifPresent(builder::eventLog);
        NoetherExporter exporter = builder.start(); // its HTTP threads are daemons: a finished program exits
        MonitorSession session = new MonitorSession(exporter, config, options.model());
        Runtime.getRuntime().addShutdownHook(new Thread(session::shutdown, "noether-agent-shutdown"));
        AgentLog.say("metrics at " + exporter.url() + "metrics"
                + options.eventLog().map(p -> ", events in " + p).orElse(""));
        return session;
    }

    /**
     * Runs {@code finish} on {@code owner} at JVM shutdown, before the exporter closes (its last push and log
     * flush then include the final state), unless {@code owner} was garbage-collected before. The finishes of all
     * owners share one bound, {@link NoetherMonitor#FINAL_ANALYSIS_TIMEOUT}, probes included: each is given what
     * the ones before it left. Each listener analyses a state only once.
     */
    public <T> void atShutdown(T owner, BiConsumer<T, Duration> finish) {
        WeakReference<T> ref = new WeakReference<>(owner);
        atShutdown.add(left -> {
            T o = ref.get();
            if (o != null) {
                finish.accept(o, left);
            }
        });
    }

    private void shutdown() {
        long deadline = System.nanoTime() + NoetherMonitor.FINAL_ANALYSIS_TIMEOUT.toNanos();
        for (Consumer<Duration> finish : atShutdown) {
            try {
                finish.accept(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (Throwable e) {
                AgentLog.say("final analysis at shutdown failed: " + e);
            }
        }
        exporter.close();
    }

    /** The registry behind the endpoint. */
    public MeterRegistry registry() {
        return exporter.registry();
    }

    /** The analysis settings from the agent options. */
    public NoetherConfig config() {
        return config;
    }

    /**
     * The exporter's report listener (the event log, when one is configured, and the training page), which also
     * says once per model which nodes were not mapped and why ({@link UnsupportedNotice}).
     */
    public NoetherReportListener reports() {
        return new UnsupportedNotice(exporter.reportListener());
    }

    /**
     * The {@code model} tag of a data-parallel worker's network: the {@code model} option or {@code derived}, not made
     * unique (its {@code worker} tag tells it apart, and every round's network of a worker is the same model).
     */
    public String baseModelName(String derived) {
        return model.orElse(derived);
    }

    /**
     * The {@code model} tag for a new listener: the {@code model} option if set, else {@code derived} (what the
     * listener would call the model itself), made unique with {@code -2}, {@code -3}, ... so that two models
     * (or two trainers of one model) never share meters.
     */
        public synchronized String modelName(String derived) {
        String base = model.orElse(derived);
        String name = base;
        for (int n = 2; !modelNames.add(name); n++) {
            name = base + "-" + n;
        }
        return name;
    }
}
