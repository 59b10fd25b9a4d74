package dev.noether.gpu;

/**
 * The few NVML calls the GPU gauges use, in Java terms. {@link JnaNvml} binds them to
 * {@code libnvidia-ml.so}; tests use a stand-in. Every call that NVML answers with an error code other
 * than {@code NVML_SUCCESS} throws {@link NvmlException} carrying that code.
 */
interface Nvml {

    /** {@code nvmlInit_v2}. */
    void init() throws NvmlException;

    /** {@code nvmlDeviceGetCount_v2}: the GPUs this process may see. */
    int deviceCount() throws NvmlException;

    /** {@code nvmlDeviceGetHandleByIndex_v2}. */
    NvmlDevice device(int index) throws NvmlException;

    /** {@code nvmlSystemGetDriverVersion}, e.g. {@code 550.54.15}. */
    String driverVersion() throws NvmlException;

    /** {@code nvmlShutdown}. */
    void shutdown() throws NvmlException;

    /** One GPU's handle. */
    interface NvmlDevice {

        /** {@code nvmlDeviceGetUtilizationRates(...).gpu}: percent (0-100) of the last sample period a kernel ran. */
        int utilizationPercent() throws NvmlException;

        /** {@code nvmlDeviceGetMemoryInfo_v2} (or v1 on drivers before R510). */
        GpuMemory memory() throws NvmlException;

        /** {@code nvmlDeviceGetPowerUsage}: milliwatts. */
        int powerMilliwatts() throws NvmlException;

        /** {@code nvmlDeviceGetTemperature(NVML_TEMPERATURE_GPU)}: degrees Celsius. */
        int temperatureCelsius() throws NvmlException;

        /** {@code nvmlDeviceGetUUID}, e.g. {@code GPU-5fd6c0a8-...}. */
        String uuid() throws NvmlException;

        /** {@code nvmlDeviceGetName}, e.g. {@code NVIDIA H200}. */
        String name() throws NvmlException;
    }

    /** Frame-buffer memory in bytes; {@code used} as nvidia-smi's {@code memory.used} counts it. */
    record GpuMemory(long totalBytes, long usedBytes) {}
}
