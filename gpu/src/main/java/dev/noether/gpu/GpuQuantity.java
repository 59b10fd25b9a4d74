package dev.noether.gpu;

import io.micrometer.core.instrument.binder.BaseUnits;

/** One per-GPU gauge: its meter name, base unit and description, and the NVML read behind it. */
enum GpuQuantity {
    UTILIZATION("noether.gpu.utilization", null,
            "Share of time (0-1) a kernel ran on the GPU during NVML's last sample period "
                    + "(1/6 s to 1 s by product); nvidia-smi utilization.gpu / 100") {
        @Override
        double read(Nvml.NvmlDevice device) throws NvmlException {
            return device.utilizationPercent() / 100.0;
        }
    },
    MEMORY_USED("noether.gpu.memory.used", BaseUnits.BYTES,
            "GPU frame-buffer memory in use, all processes (nvidia-smi memory.used)") {
        @Override
        double read(Nvml.NvmlDevice device) throws NvmlException {
            return device.memory().usedBytes();
        }
    },
    MEMORY_TOTAL("noether.gpu.memory.total", BaseUnits.BYTES,
            "GPU frame-buffer memory installed (nvidia-smi memory.total)") {
        @Override
        double read(Nvml.NvmlDevice device) throws NvmlException {
            return device.memory().totalBytes();
        }
    },
    POWER("noether.gpu.power", "watts",
            "Power drawn by the GPU board (nvidia-smi power.draw)") {
        @Override
        double read(Nvml.NvmlDevice device) throws NvmlException {
            return device.powerMilliwatts() / 1000.0;
        }
    },
    TEMPERATURE("noether.gpu.temperature", "celsius",
            "GPU core temperature (nvidia-smi temperature.gpu)") {
        @Override
        double read(Nvml.NvmlDevice device) throws NvmlException {
            return device.temperatureCelsius();
        }
    };

    private final String meterName;
    private final String baseUnit;
    private final String description;

    GpuQuantity(String meterName, String baseUnit, String description) {
        this.meterName = meterName;
        this.baseUnit = baseUnit;
        this.description = description;
    }

    String meterName() {
        return meterName;
    }

    /** Null for ratios (Micrometer appends the unit to the Prometheus name). */
    String baseUnit() {
        return baseUnit;
    }

    String description() {
        return description;
    }

    /** Reads the value in the base unit. */
    abstract double read(Nvml.NvmlDevice device) throws NvmlException;
}
