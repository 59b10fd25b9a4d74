package dev.noether.gpu;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;

/**
 * {@link Nvml} on NVIDIA's {@code libnvidia-ml.so} (installed with every driver) through JNA: no native
 * code of ours. Signatures follow {@code nvml.h}; {@code unsigned int} and {@code unsigned long long}
 * values are read as Java {@code int}/{@code long} and never exceed their signed range here.
 */
final class JnaNvml implements Nvml {
    // nvml.h: NVML_DEVICE_UUID_V2_BUFFER_SIZE, NVML_DEVICE_NAME_V2_BUFFER_SIZE, NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE
    private static final int UUID_BUFFER = 96;
    private static final int NAME_BUFFER = 96;
    private static final int DRIVER_BUFFER = 80;
    private static final int TEMPERATURE_GPU = 0; // NVML_TEMPERATURE_GPU
    // nvmlMemory_v2_t {unsigned int version; unsigned long long total, reserved, free, used;}: 40 bytes
    private static final int MEMORY_V2_SIZE = 40;
    private static final int MEMORY_V2_VERSION = MEMORY_V2_SIZE | (2 << 24); // NVML_STRUCT_VERSION(Memory, 2)

    /** The C functions, bound by name. */
    interface NvmlLibrary extends Library {
        int nvmlInit_v2();

        int nvmlShutdown();

        String nvmlErrorString(int result);

        int nvmlSystemGetDriverVersion(byte[] version, int length);

        int nvmlDeviceGetCount_v2(IntByReference deviceCount);

        int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

        /** {@code nvmlUtilization_t {unsigned int gpu; unsigned int memory;}} as two ints. */
        int nvmlDeviceGetUtilizationRates(Pointer device, int[] utilization);

        /** {@code nvmlMemory_t {unsigned long long total, free, used;}} as three longs. */
        int nvmlDeviceGetMemoryInfo(Pointer device, long[] memory);

        int nvmlDeviceGetMemoryInfo_v2(Pointer device, Pointer memory);

        int nvmlDeviceGetPowerUsage(Pointer device, IntByReference milliwatts);

        int nvmlDeviceGetTemperature(Pointer device, int sensorType, IntByReference celsius);

        int nvmlDeviceGetUUID(Pointer device, byte[] uuid, int length);

        int nvmlDeviceGetName(Pointer device, byte[] name, int length);
    }

    private final NvmlLibrary nvml;

    private JnaNvml(NvmlLibrary nvml) {
        this.nvml = nvml;
    }

    /**
     * Loads {@code libnvidia-ml}: the unversioned name first (JNA also searches versioned files), then the
     * driver's {@code libnvidia-ml.so.1} through the dynamic linker's cache.
     *
     * @throws UnsatisfiedLinkError when neither loads (no NVIDIA driver), {@link NoClassDefFoundError} without JNA
     */
    static JnaNvml load() {
        try {
            return new JnaNvml(bind("nvidia-ml"));
        } catch (UnsatisfiedLinkError first) {
            try {
                return new JnaNvml(bind("libnvidia-ml.so.1"));
            } catch (UnsatisfiedLinkError second) {
                first.addSuppressed(second);
                throw first;
            }
        }
    }

    /** Binds the library in {@code file} (an absolute path): for a stand-in library in tests. */
    static JnaNvml loadFrom(java.nio.file.Path file) {
        return new JnaNvml(bind(file.toAbsolutePath().toString()));
    }

    /**
     * {@code Native.loadLibrary(name, NvmlLibrary.class)}, called reflectively: under the agent, Noether runs
     * with the application's JNA, which is JNA 5 for DJL but JNA 4 for DL4J (through oshi), and the method's
     * return type changed between them (Object, then Library), so a compiled call links with one only.
     */
    private static NvmlLibrary bind(String name) {
        try {
            return (NvmlLibrary) Native.class.getMethod("loadLibrary", String.class, Class.class)
                    .invoke(null, name, NvmlLibrary.class);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Error error) throw error;
            if (e.getCause() instanceof RuntimeException runtime) throw runtime;
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this JNA has no Native.loadLibrary(String, Class)", e);
        }
    }

    private void check(String function, int code) throws NvmlException {
        if (code == 0) return; // NVML_SUCCESS
        String description;
        try {
            description = nvml.nvmlErrorString(code);
        } catch (RuntimeException | LinkageError e) {
            description = null;
        }
        throw new NvmlException(function, code, description == null ? "unknown error" : description);
    }

    @Override
    public void init() throws NvmlException {
        check("nvmlInit_v2", nvml.nvmlInit_v2());
    }

    @Override
    public int deviceCount() throws NvmlException {
        IntByReference count = new IntByReference();
        check("nvmlDeviceGetCount_v2", nvml.nvmlDeviceGetCount_v2(count));
        return count.getValue();
    }

    @Override
    public NvmlDevice device(int index) throws NvmlException {
        PointerByReference handle = new PointerByReference();
        check("nvmlDeviceGetHandleByIndex_v2", nvml.nvmlDeviceGetHandleByIndex_v2(index, handle));
        return new Device(handle.getValue());
    }

    @Override
    public String driverVersion() throws NvmlException {
        byte[] buffer = new byte[DRIVER_BUFFER];
        check("nvmlSystemGetDriverVersion", nvml.nvmlSystemGetDriverVersion(buffer, buffer.length));
        return text(buffer);
    }

    @Override
    public void shutdown() throws NvmlException {
        check("nvmlShutdown", nvml.nvmlShutdown());
    }

    private static String text(byte[] nulTerminated) {
        int end = 0;
        while (end < nulTerminated.length && nulTerminated[end] != 0) end++;
        return new String(nulTerminated, 0, end, StandardCharsets.UTF_8);
    }

    private final class Device implements NvmlDevice {
        private final Pointer handle;
        private volatile boolean memoryV1; // the driver predates nvmlDeviceGetMemoryInfo_v2

        Device(Pointer handle) {
            this.handle = handle;
        }

        @Override
        public int utilizationPercent() throws NvmlException {
            int[] utilization = new int[2];
            check("nvmlDeviceGetUtilizationRates", nvml.nvmlDeviceGetUtilizationRates(handle, utilization));
            return utilization[0];
        }

        @Override
        public GpuMemory memory() throws NvmlException {
            if (!memoryV1) {
                try {
                    // v2 counts driver-reserved memory apart from "used", as nvidia-smi does since R510
                    Memory memory = new Memory(MEMORY_V2_SIZE);
                    memory.clear();
                    memory.setInt(0, MEMORY_V2_VERSION);
                    check("nvmlDeviceGetMemoryInfo_v2", nvml.nvmlDeviceGetMemoryInfo_v2(handle, memory));
                    return new GpuMemory(memory.getLong(8), memory.getLong(32));
                } catch (UnsatisfiedLinkError missing) {
                    memoryV1 = true;
                }
            }
            long[] memory = new long[3];
            check("nvmlDeviceGetMemoryInfo", nvml.nvmlDeviceGetMemoryInfo(handle, memory));
            return new GpuMemory(memory[0], memory[2]);
        }

        @Override
        public int powerMilliwatts() throws NvmlException {
            IntByReference milliwatts = new IntByReference();
            check("nvmlDeviceGetPowerUsage", nvml.nvmlDeviceGetPowerUsage(handle, milliwatts));
            return milliwatts.getValue();
        }

        @Override
        public int temperatureCelsius() throws NvmlException {
            IntByReference celsius = new IntByReference();
            check("nvmlDeviceGetTemperature", nvml.nvmlDeviceGetTemperature(handle, TEMPERATURE_GPU, celsius));
            return celsius.getValue();
        }

        @Override
        public String uuid() throws NvmlException {
            byte[] buffer = new byte[UUID_BUFFER];
            check("nvmlDeviceGetUUID", nvml.nvmlDeviceGetUUID(handle, buffer, buffer.length));
            return text(buffer);
        }

        @Override
        public String name() throws NvmlException {
            byte[] buffer = new byte[NAME_BUFFER];
            check("nvmlDeviceGetName", nvml.nvmlDeviceGetName(handle, buffer, buffer.length));
            return text(buffer);
        }
    }
}
