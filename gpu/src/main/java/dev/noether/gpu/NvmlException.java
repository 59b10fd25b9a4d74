package dev.noether.gpu;

/** An NVML call that returned an error code ({@code nvmlReturn_t} other than {@code NVML_SUCCESS}). */
final class NvmlException extends Exception {
    static final int ERROR_UNINITIALIZED = 1;
    static final int ERROR_NOT_SUPPORTED = 3;
    static final int ERROR_NO_PERMISSION = 4;
    static final int ERROR_DRIVER_NOT_LOADED = 9;
    static final int ERROR_GPU_IS_LOST = 15;
    static final int ERROR_UNKNOWN = 999;

    private final String function;
    private final int code;

    /** {@code description}: NVML's own text for the code ({@code nvmlErrorString}). */
    NvmlException(String function, int code, String description) {
        super(function + " failed: " + description + " (NVML error " + code + ")", null, false, false);
        this.function = function;
        this.code = code;
    }

    /** The NVML function that failed, e.g. {@code nvmlDeviceGetPowerUsage}. */
    String function() {
        return function;
    }

    /** The {@code nvmlReturn_t} code. */
    int code() {
        return code;
    }

    /** The device or driver cannot report this quantity at all (e.g. power on some boards, utilization in MIG mode). */
    boolean notSupported() {
        return code == ERROR_NOT_SUPPORTED;
    }
}
