/*
 * A stand-in for NVIDIA's libnvidia-ml.so, for tests only (the development machine has no GPU): the
 * functions JnaNvml binds, with the signatures of nvml.h, answering fixed values for two GPUs. It checks
 * what a real driver checks (the version field of nvmlMemory_v2_t, buffer sizes, indices), so the test
 * exercises JNA's marshalling of every argument. GPU 1's power read fails with NVML_ERROR_GPU_IS_LOST.
 * Built by FakeNvmlLibraryTest with the system's C compiler; never shipped.
 */
#include <string.h>

typedef struct { int index; } device_t;
static device_t devices[2] = {{0}, {1}};
static int initialized = 0;

typedef struct { unsigned int gpu; unsigned int memory; } nvmlUtilization_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } nvmlMemory_v2_t;
#define NVML_MEMORY_V2 ((unsigned int)(sizeof(nvmlMemory_v2_t) | (2 << 24U)))

int nvmlInit_v2(void) { initialized++; return 0; }
int nvmlShutdown(void) { if (!initialized) return 1; initialized--; return 0; }

const char *nvmlErrorString(int result) {
    switch (result) {
        case 1: return "Uninitialized";
        case 2: return "Invalid Argument";
        case 7: return "Insufficient Size";
        case 15: return "GPU is lost";
        case 25: return "Argument version mismatch";
        default: return "Unknown Error";
    }
}

static int copy(const char *text, char *buffer, unsigned int length) {
    if (strlen(text) + 1 > length) return 7;
    strcpy(buffer, text);
    return 0;
}

int nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    return initialized ? copy("550.54.15", version, length) : 1;
}

int nvmlDeviceGetCount_v2(unsigned int *count) {
    if (!initialized) return 1;
    *count = 2;
    return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, device_t **device) {
    if (!initialized) return 1;
    if (index > 1) return 2;
    *device = &devices[index];
    return 0;
}

int nvmlDeviceGetUtilizationRates(device_t *device, nvmlUtilization_t *utilization) {
    utilization->gpu = device->index == 0 ? 37 : 100;
    utilization->memory = 11;
    return 0;
}

int nvmlDeviceGetMemoryInfo(device_t *device, nvmlMemory_t *memory) {
    memory->total = 150754820096ULL;
    memory->used = 999ULL; /* v1 must not be used: v2 exists */
    memory->free = memory->total - memory->used;
    return 0;
}

int nvmlDeviceGetMemoryInfo_v2(device_t *device, nvmlMemory_v2_t *memory) {
    if (memory->version != NVML_MEMORY_V2) return 25;
    memory->total = 150754820096ULL;                            /* 143771 MiB */
    memory->reserved = 575799296ULL;
    memory->used = device->index == 0 ? 12345678901ULL : 0ULL;
    memory->free = memory->total - memory->reserved - memory->used;
    return 0;
}

int nvmlDeviceGetPowerUsage(device_t *device, unsigned int *milliwatts) {
    if (device->index == 1) return 15;
    *milliwatts = 245123;
    return 0;
}

int nvmlDeviceGetTemperature(device_t *device, int sensorType, unsigned int *celsius) {
    if (sensorType != 0) return 2;
    *celsius = device->index == 0 ? 61 : 34;
    return 0;
}

int nvmlDeviceGetUUID(device_t *device, char *uuid, unsigned int length) {
    return copy(device->index == 0 ? "GPU-5fd6c0a8-0000-4000-8000-000000000000" : "GPU-5fd6c0a8-1111-4000-8000-111111111111",
            uuid, length);
}

int nvmlDeviceGetName(device_t *device, char *name, unsigned int length) {
    return copy("NVIDIA H200", name, length);
}
