package dev.noether.gpu;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Per-GPU gauges read from NVIDIA's NVML ({@code libnvidia-ml.so}, part of every driver) through JNA:
 * {@code noether.gpu.utilization} (0-1), {@code noether.gpu.memory.used} and {@code .total} (bytes),
 * {@code noether.gpu.power} (watts), {@code noether.gpu.temperature} (celsius), all tagged {@code gpu}
 * (NVML's index), and {@code noether.gpu.info{gpu, uuid, name, driver}} = 1 for joins with DCGM's and
 * nvidia_gpu_exporter's series.
 *
 * <pre>{@code
 * try (NvmlGpuMetrics gpus = NvmlGpuMetrics.create()) {   // or withSamplePeriod(Duration.ofSeconds(1))
 *     gpus.bindTo(registry);
 *     train();
 * }
 * }</pre>
 *
 * <p>The first {@link #bindTo} loads NVML, finds the GPUs and reads them once (on the caller's thread, once);
 * afterwards a daemon thread reads them every sample period (default 5 s) and the gauges show the last
 * sample: a scrape never calls NVML. Without an NVIDIA driver, without GPUs, or when NVML fails to start,
 * there are no GPU meters and one INFO line says why; nothing throws and nothing retries. A read that fails
 * later leaves that one gauge absent until it succeeds again; the failures are counted in
 * {@code noether.errors{stage="gpu"}} and logged at most every 10 minutes per GPU and quantity.
 */
public final class NvmlGpuMetrics implements MeterBinder, AutoCloseable {
    /** How often the GPUs are read unless {@link #withSamplePeriod(Duration)} says otherwise. */
    public static final Duration DEFAULT_SAMPLE_PERIOD = Duration.ofSeconds(5);
    /**
     * The Prometheus names of the gauges this binder registers (besides the shared {@code noether_errors_total}),
     * for boards, rules and their tests: {@code noether_gpu_utilization}, {@code noether_gpu_memory_used_bytes}, ...
     */
    public static final List<String> PROMETHEUS_NAMES = prometheusNames();
    static final String INFO_METER = "noether.gpu.info";
    // Same name, tags and help text as the exporter's and core's error counters (Prometheus keeps one per name).
    static final String ERRORS_METER = "noether.errors";
    static final String ERRORS_DESCRIPTION = "Failures inside Noether, by stage; training continued";
    private static final System.Logger LOG = System.getLogger(NvmlGpuMetrics.class.getName());

    private final Duration samplePeriod;
    private final Supplier<? extends Nvml> loader;
    private final Object lock = new Object();
    private final List<Binding> bindings = new CopyOnWriteArrayList<>();
    private boolean opened;
    private boolean closed;
    private Nvml nvml; // null: no GPU meters
    private String driver;
    private volatile GpuSampler sampler;
    private ScheduledExecutorService timer;
    private long timerFailures; // touched by the timer thread only

    NvmlGpuMetrics(Duration samplePeriod, Supplier<? extends Nvml> loader) {
        Objects.requireNonNull(samplePeriod, "samplePeriod");
        if (samplePeriod.isNegative() || samplePeriod.isZero()) {
            throw new IllegalArgumentException("samplePeriod must be positive: " + samplePeriod);
        }
        this.samplePeriod = samplePeriod;
        this.loader = Objects.requireNonNull(loader, "loader");
    }

    /** GPU gauges sampled every {@link #DEFAULT_SAMPLE_PERIOD}. */
    private static List<String> prometheusNames() {
        List<String> names = new ArrayList<>();
        for (GpuQuantity q : GpuQuantity.values()) {
            names.add(q.meterName().replace('.', '_') + (q.baseUnit() == null ? "" : "_" + q.baseUnit()));
        }
        names.add(INFO_METER.replace('.', '_'));
        return List.copyOf(names);
    }

    public static NvmlGpuMetrics create() {
        return withSamplePeriod(DEFAULT_SAMPLE_PERIOD);
    }

    /** GPU gauges sampled every {@code period} (NVML's own utilization window is 1/6 s to 1 s). */
    public static NvmlGpuMetrics withSamplePeriod(Duration period) {
        return new NvmlGpuMetrics(period, JnaNvml::load);
    }

    /**
     * Registers the GPU meters in {@code registry} (none without GPUs). The first call starts NVML and the
     * sampling thread; later calls, for other registries, share them. Never throws for NVML's sake, nor when
     * the registry refuses a meter (one WARNING line).
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        synchronized (lock) {
            if (closed) return;
            if (!opened) {
                opened = true;
                open();
            }
            if (sampler == null) return;
            try {
                Binding binding = new Binding(registry);
                binding.update();
                bindings.add(binding);
            } catch (RuntimeException e) { // e.g. a meter of the same name with other tags already there
                LOG.log(Level.WARNING, "Noether GPU gauges cannot be registered in " + registry.getClass().getSimpleName()
                        + "; no GPU meters there: " + e, e);
            }
        }
    }

    /** The number of GPUs with meters: 0 before {@link #bindTo}, without GPUs, and after {@link #close()}. */
    int gpuCount() {
        synchronized (lock) {
            return sampler == null ? 0 : sampler.gpus().size();
        }
    }

    /** Reads the GPUs now and updates the gauges (what the timer does every period). */
    void sampleNow() {
        synchronized (lock) {
            if (closed || sampler == null) return;
            sampler.sample();
            for (Binding binding : bindings) binding.update();
        }
    }

    // A scheduled task that throws is never run again: nothing may escape.
    private void sampleOnTimer() {
        try {
            sampleNow();
        } catch (RuntimeException | LinkageError e) {
            if (timerFailures++ == 0) {
                LOG.log(Level.WARNING, "Noether GPU gauges could not be updated (counted in noether_errors_total{stage=\"gpu\"},"
                        + " logged once)", e);
            }
            GpuSampler current = sampler;
            if (current != null) current.errors().incrementAndGet();
        }
    }

    /** Stops sampling, removes the GPU meters from the registries and shuts NVML down. Never throws. */
    @Override
    public void close() {
        ScheduledExecutorService stopping;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            stopping = timer;
        }
        if (stopping != null) {
            stopping.shutdownNow();
            try {
                stopping.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (lock) {
            for (Binding binding : bindings) binding.remove();
            bindings.clear();
            if (nvml != null) shutdownQuietly(nvml);
            nvml = null;
            sampler = null;
        }
    }

    private void open() {
        Nvml loaded;
        try {
            loaded = loader.get();
        } catch (RuntimeException | LinkageError e) {
            noGpu("NVIDIA's NVML library (libnvidia-ml.so) does not load here (" + firstLine(e) + ")");
            return;
        }
        try {
            loaded.init();
        } catch (NvmlException | RuntimeException | LinkageError e) {
            noGpu("NVML does not start: " + e.getMessage());
            return;
        }
        List<GpuSampler.Gpu> gpus = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        try {
            int count = loaded.deviceCount();
            for (int i = 0; i < count; i++) {
                try {
                    Nvml.NvmlDevice device = loaded.device(i);
                    gpus.add(new GpuSampler.Gpu(i, device, device.uuid(), device.name()));
                } catch (NvmlException e) {
                    skipped.add("GPU " + i + " (" + e.getMessage() + ")");
                }
            }
            driver = driverVersion(loaded);
        } catch (NvmlException | RuntimeException | LinkageError e) {
            shutdownQuietly(loaded);
            noGpu("NVML does not list the GPUs: " + e.getMessage());
            return;
        }
        if (gpus.isEmpty()) {
            shutdownQuietly(loaded);
            noGpu(skipped.isEmpty() ? "NVML sees no GPU" : "no GPU answers NVML: " + String.join(", ", skipped));
            return;
        }
        nvml = loaded;
        sampler = new GpuSampler(gpus);
        sampler.sample();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "noether-gpu");
            t.setDaemon(true);
            return t;
        });
        long millis = samplePeriod.toMillis();
        timer.scheduleWithFixedDelay(this::sampleOnTimer, millis, millis, TimeUnit.MILLISECONDS);

        StringBuilder line = new StringBuilder("Noether GPU gauges for ")
                .append(gpus.stream().map(g -> g.tag() + " " + g.name()).collect(Collectors.joining(", ", "GPU ", "")))
                .append(" (driver ").append(driver).append("), sampled every ").append(samplePeriod.toMillis()).append(" ms");
        if (!skipped.isEmpty()) line.append("; skipped ").append(String.join(", ", skipped));
        List<String> missing = sampler.missing();
        if (!missing.isEmpty()) line.append("; not read: ").append(String.join(", ", missing));
        LOG.log(Level.INFO, line.toString());
    }

    private static String driverVersion(Nvml nvml) {
        try {
            return nvml.driverVersion();
        } catch (NvmlException e) {
            return "unknown";
        }
    }

    // JNA's message lists every place it looked, class path included: the dynamic linker's answer says enough.
    static String firstLine(Throwable e) {
        String message = String.valueOf(e.getMessage());
        String chosen = null;
        for (String line : message.split("\\R")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("Unable to load library")) continue;
            chosen = l;
            break;
        }
        if (chosen == null) chosen = message.strip();
        return chosen.length() > 200 ? chosen.substring(0, 200) + "..." : chosen;
    }

    private static void noGpu(String why) {
        LOG.log(Level.INFO, "No GPU gauges: " + why);
    }

    private static void shutdownQuietly(Nvml nvml) {
        try {
            nvml.shutdown();
        } catch (NvmlException | RuntimeException | LinkageError ignored) {
            // nothing to do about it at the end; the driver cleans up with the process
        }
    }

    /** The meters of one registry. */
    private final class Binding {
        private final MeterRegistry registry;
        private final Map<GpuQuantity, MultiGauge> gauges = new EnumMap<>(GpuQuantity.class);
        private final List<Meter> fixed = new ArrayList<>();

        Binding(MeterRegistry registry) {
            this.registry = registry;
            for (GpuQuantity quantity : GpuQuantity.values()) {
                gauges.put(quantity, MultiGauge.builder(quantity.meterName()).description(quantity.description())
                        .baseUnit(quantity.baseUnit()).register(registry));
            }
            for (GpuSampler.Gpu gpu : sampler.gpus()) {
                fixed.add(Gauge.builder(INFO_METER, () -> 1)
                        .description("One per GPU: its NVML index, UUID, product name and driver version, to join "
                                + "DCGM's (UUID, gpu) and nvidia_gpu_exporter's (uuid) series")
                        .tag("gpu", gpu.tag()).tag("uuid", gpu.uuid()).tag("name", gpu.name()).tag("driver", driver)
                        .register(registry));
            }
            fixed.add(FunctionCounter.builder(ERRORS_METER, sampler.errors(), Number::doubleValue)
                    .description(ERRORS_DESCRIPTION).tag("model", "").tag("stage", "gpu").register(registry));
        }

        /** Shows the last sample: rows of reads that failed disappear, the others keep their gauge. */
        void update() {
            // overwrite=false: a row's gauge stays registered (no gap for a scrape) and reads the same Reading
            gauges.forEach((quantity, gauge) -> gauge.register(sampler.rows(quantity), false));
        }

        void remove() {
            gauges.values().forEach(gauge -> gauge.register(List.of(), true));
            fixed.forEach(registry::remove);
        }
    }
}
