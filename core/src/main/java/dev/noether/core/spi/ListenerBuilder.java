package dev.noether.core.spi;

import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherReportListener;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The builder options every engine adapter's listener shares, so that a DJL and a DL4J user configure Noether
 * the same way; an adapter's builder extends it with its own options (such as a probe batch).
 *
 * @param <B> the adapter's builder type, returned by every option for chaining
 */
public abstract class ListenerBuilder<B extends ListenerBuilder<B>> {
    private MeterRegistry registry = Metrics.globalRegistry;
    private String modelName;
    private NoetherConfig config = NoetherConfig.defaults();
    private OptimizerSettings optimizer;
    private final List<NoetherReportListener> listeners = new ArrayList<>();

    protected ListenerBuilder() {}

    /** This builder, typed as the adapter's. */
    protected abstract B self();

    /** Where the meters go (default: Micrometer's global registry). */
    public B registry(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        return self();
    }

    /** The {@code model} tag of every meter (default: the engine's name for the model); one per watched network. */
    public B modelName(String modelName) {
        this.modelName = Objects.requireNonNull(modelName, "modelName");
        return self();
    }

    /** Analysis schedule and thresholds (default {@link NoetherConfig#defaults()}). */
    public B config(NoetherConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return self();
    }

    /**
     * States the optimizer instead of reading it from the engine, e.g. {@code OptimizerSettings.plainSgd(η, γ, γ)}
     * for a custom loop or {@code OptimizerSettings.other("adam", η)}. Used for every step.
     */
    public B optimizer(OptimizerSettings optimizer) {
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        return self();
    }

    /** Also sends every report to {@code listener} (event logs, web pages); see {@link NoetherReportListener}. */
    public B addListener(NoetherReportListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return self();
    }

    /** The shared settings chosen so far, for the adapter's listener to keep. */
    public ListenerSettings settings() {
        return new ListenerSettings(registry, modelName, config, optimizer, listeners);
    }
}
