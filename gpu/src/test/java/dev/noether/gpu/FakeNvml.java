package dev.noether.gpu;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for NVML (this machine has no GPU): GPUs with values the test sets, NVML error codes on the
 * calls the test picks, and counts of every call so tests can see when NVML is (not) called.
 */
final class FakeNvml implements Nvml {
    final List<FakeGpu> gpus = new ArrayList<>();
    final AtomicInteger initCalls = new AtomicInteger();
    final AtomicInteger shutdownCalls = new AtomicInteger();
    volatile int initError;
    volatile int countError;
    volatile int driverError;
    volatile String driver = "550.54.15";

    FakeGpu addGpu(String uuid, String name) {
        FakeGpu gpu = new FakeGpu(uuid, name);
        gpus.add(gpu);
        return gpu;
    }

    @Override
    public void init() throws NvmlException {
        initCalls.incrementAndGet();
        fail("nvmlInit_v2", initError);
    }

    @Override
    public int deviceCount() throws NvmlException {
        fail("nvmlDeviceGetCount_v2", countError);
        return gpus.size();
    }

    @Override
    public NvmlDevice device(int index) throws NvmlException {
        FakeGpu gpu = gpus.get(index);
        fail("nvmlDeviceGetHandleByIndex_v2", gpu.handleError);
        return gpu;
    }

    @Override
    public String driverVersion() throws NvmlException {
        fail("nvmlSystemGetDriverVersion", driverError);
        return driver;
    }

    @Override
    public void shutdown() {
        shutdownCalls.incrementAndGet();
    }

    static void fail(String function, int code) throws NvmlException {
        if (code != 0) throw new NvmlException(function, code, "fake error " + code);
    }

    /** One fake GPU: set its readings and, per NVML function, an error code (0 = success). */
    static final class FakeGpu implements NvmlDevice {
        static final int JNA_FAILURE = -1;
        final String uuid;
        final String name;
        volatile int handleError;
        volatile int utilizationPercent;
        volatile long totalBytes;
        volatile long usedBytes;
        volatile int powerMilliwatts;
        volatile int temperatureCelsius;
        final Map<String, Integer> errors = new HashMap<>();
        final AtomicInteger reads = new AtomicInteger();

        FakeGpu(String uuid, String name) {
            this.uuid = uuid;
            this.name = name;
        }

        FakeGpu values(int utilizationPercent, long totalBytes, long usedBytes, int powerMilliwatts, int celsius) {
            this.utilizationPercent = utilizationPercent;
            this.totalBytes = totalBytes;
            this.usedBytes = usedBytes;
            this.powerMilliwatts = powerMilliwatts;
            this.temperatureCelsius = celsius;
            return this;
        }

        synchronized FakeGpu error(String function, int code) {
            errors.put(function, code);
            return this;
        }

        /** Code -1 stands for a failure of JNA itself (not an NVML code): the call throws a RuntimeException. */
        private synchronized void call(String function) throws NvmlException {
            reads.incrementAndGet();
            int code = errors.getOrDefault(function, 0);
            if (code == JNA_FAILURE) throw new IllegalStateException("Invalid memory access (fake JNA failure in " + function + ")");
            fail(function, code);
        }

        @Override
        public int utilizationPercent() throws NvmlException {
            call("nvmlDeviceGetUtilizationRates");
            return utilizationPercent;
        }

        @Override
        public GpuMemory memory() throws NvmlException {
            call("nvmlDeviceGetMemoryInfo_v2");
            return new GpuMemory(totalBytes, usedBytes);
        }

        @Override
        public int powerMilliwatts() throws NvmlException {
            call("nvmlDeviceGetPowerUsage");
            return powerMilliwatts;
        }

        @Override
        public int temperatureCelsius() throws NvmlException {
            call("nvmlDeviceGetTemperature");
            return temperatureCelsius;
        }

        @Override
        public String uuid() throws NvmlException {
            call("nvmlDeviceGetUUID");
            return uuid;
        }

        @Override
        public String name() throws NvmlException {
            call("nvmlDeviceGetName");
            return name;
        }
    }
}
