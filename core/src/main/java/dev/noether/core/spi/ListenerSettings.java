package dev.noether.core.spi;

import dev.noether.core.micrometer.NoetherMetrics;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.runtime.NoetherReportListener;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;

import java.util.List;
import java.util.Optional;

/**
 * What every engine adapter's listener is configured with (see {@link ListenerBuilder}), and the one way to
 * start its monitor from it: create it, attach the report listeners, bind the meters. Immutable.
 */
public final class ListenerSettings {
    private static final System.Logger LOG = System.getLogger("dev.noether");

    private final MeterRegistry registry;
    private final String modelName;
    private final NoetherConfig config;
    private final OptimizerSettings optimizer;
    private final List<NoetherReportListener> listeners;

    ListenerSettings(MeterRegistry registry, String modelName, NoetherConfig config, OptimizerSettings optimizer,
                     List<NoetherReportListener> listeners) {
        this.registry = registry;
        this.modelName = modelName;
        this.config = config;
        this.optimizer = optimizer;
        this.listeners = List.copyOf(listeners);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The {@code model} tag the user chose, or {@code fallback} (the engine's own name for the model). */
    public String modelName(String fallback) {
        return modelName != null ? modelName : fallback;
    }

    public NoetherConfig config() {
        return config;
    }

    /** The optimizer the user stated, overriding what the adapter reads from the engine. */
    public Optional<OptimizerSettings> optimizer() {
        return Optional.ofNullable(optimizer);
    }

    /**
     * Starts watching the described network: a monitor with these settings, the report listeners attached and
     * the meters bound to the registry. Logs one line that says what is watched and what is skipped.
     */
    public NoetherMonitor start(NetworkDescription description, String engine) {
        return start(description, engine, null);
    }

    /**
     * Like {@link #start(NetworkDescription, String)}, for one worker of a data-parallel run: every meter also
     * carries {@code worker=<worker>}, and the report listeners see the worker ({@link NoetherReportListener#forWorker}).
     * A null worker is the plain {@link #start(NetworkDescription, String)}.
     */
    public NoetherMonitor start(NetworkDescription description, String engine, String worker) {
        NoetherMonitor monitor = NoetherMonitor.builder(description).config(config).engine(engine).build();
        for (NoetherReportListener listener : listeners) {
            monitor.addListener(worker == null ? listener : listener.forWorker(worker));
        }
        Iterable<Tag> extra = worker == null ? Tags.empty() : Tags.of("worker", worker);
        new NoetherMetrics(monitor, extra).bindTo(registry);
        LOG.log(System.Logger.Level.INFO, "Noether watches " + description.summary()
                + (worker == null ? "" : " on worker " + worker));
        return monitor;
    }

    /** The report listeners, in the order they were added. */
    public List<NoetherReportListener> listeners() {
        return listeners;
    }

    /** These settings with another registry and report listeners (a worker's, resolved where it runs). */
    public ListenerSettings withDestination(MeterRegistry registry, List<NoetherReportListener> listeners) {
        return new ListenerSettings(registry, modelName, config, optimizer, listeners);
    }
}
