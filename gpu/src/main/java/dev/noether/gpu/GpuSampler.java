package dev.noether.gpu;

import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The GPUs found at start and their last readings: {@link #sample()} reads every quantity of every GPU
 * from NVML, and the gauges show only what that last sample read, never calling NVML themselves.
 *
 * <p>A read that fails leaves its gauge absent until a later sample reads it again (no stale value, no NaN).
 * {@code NVML_ERROR_NOT_SUPPORTED} is no failure: the board cannot report that quantity (power on some
 * boards, utilization of a MIG-partitioned GPU). Any other error code, or a JNA failure, is counted in
 * {@link #errors()} and logged at most once per {@link #WARN_INTERVAL_NANOS} for each GPU and quantity.
 * Not thread-safe: one thread samples at a time.
 */
final class GpuSampler {
    static final long WARN_INTERVAL_NANOS = 10L * 60 * 1_000_000_000L;
    private static final System.Logger LOG = System.getLogger(GpuSampler.class.getName());

    /** A GPU with gauges: its NVML index (the {@code gpu} tag), handle and identity. */
    record Gpu(int index, Nvml.NvmlDevice device, String uuid, String name) {
        String tag() {
            return Integer.toString(index);
        }
    }

    /** The last reading of one quantity of one GPU; absent when that read failed. */
    static final class Reading {
        private volatile double value;
        private volatile boolean present;

        double value() {
            return value;
        }
    }

    private final List<Gpu> gpus;
    private final Map<GpuQuantity, Reading[]> readings = new EnumMap<>(GpuQuantity.class);
    private final AtomicLong errors = new AtomicLong();
    private final Map<String, Long> lastWarned = new HashMap<>();

    GpuSampler(List<Gpu> gpus) {
        this.gpus = List.copyOf(gpus);
        for (GpuQuantity quantity : GpuQuantity.values()) {
            Reading[] row = new Reading[gpus.size()];
            for (int i = 0; i < row.length; i++) row[i] = new Reading();
            readings.put(quantity, row);
        }
    }

    List<Gpu> gpus() {
        return gpus;
    }

    /** Failed NVML reads so far (not counting "not supported"). */
    AtomicLong errors() {
        return errors;
    }

    /** Reads every quantity of every GPU once. */
    void sample() {
        for (int i = 0; i < gpus.size(); i++) {
            Gpu gpu = gpus.get(i);
            for (GpuQuantity quantity : GpuQuantity.values()) {
                Reading reading = readings.get(quantity)[i];
                try {
                    reading.value = quantity.read(gpu.device());
                    reading.present = true;
                } catch (NvmlException e) {
                    reading.present = false;
                    if (!e.notSupported()) failed(gpu, quantity, e.getMessage());
                } catch (RuntimeException | LinkageError e) { // JNA trouble: same treatment as an error code
                    reading.present = false;
                    failed(gpu, quantity, e.toString());
                }
            }
        }
    }

    /** What the last sample read of {@code quantity}: one row per GPU that answered, tagged {@code gpu}. */
    List<MultiGauge.Row<?>> rows(GpuQuantity quantity) {
        Reading[] row = readings.get(quantity);
        List<MultiGauge.Row<?>> rows = new ArrayList<>(row.length);
        for (int i = 0; i < row.length; i++) {
            if (row[i].present) rows.add(MultiGauge.Row.of(Tags.of("gpu", gpus.get(i).tag()), row[i], Reading::value));
        }
        return rows;
    }

    /** The quantities the last sample could not read, e.g. {@code "power of GPU 1"}, for the start line. */
    List<String> missing() {
        List<String> missing = new ArrayList<>();
        for (GpuQuantity quantity : GpuQuantity.values()) {
            Reading[] row = readings.get(quantity);
            for (int i = 0; i < row.length; i++) {
                if (!row[i].present) missing.add(quantity.meterName() + " of GPU " + gpus.get(i).tag());
            }
        }
        return missing;
    }

    private void failed(Gpu gpu, GpuQuantity quantity, String why) {
        errors.incrementAndGet();
        String key = gpu.tag() + "/" + quantity;
        long now = System.nanoTime();
        Long previous = lastWarned.get(key);
        if (previous != null && now - previous < WARN_INTERVAL_NANOS) return;
        lastWarned.put(key, now);
        LOG.log(Level.WARNING, "Noether cannot read " + quantity.meterName() + " of GPU " + gpu.tag() + ": " + why
                + "; that gauge is absent until NVML answers again (counted in noether_errors_total{stage=\"gpu\"},"
                + " logged at most every 10 minutes)");
    }
}
