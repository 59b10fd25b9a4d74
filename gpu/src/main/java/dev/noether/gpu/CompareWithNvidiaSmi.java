package dev.noether.gpu;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Prints Noether's GPU gauges beside {@code nvidia-smi}'s readings of the same moment, once a second, for a
 * check on a machine with an NVIDIA GPU (run a GPU load meanwhile):
 *
 * <pre>
 * mvn -B -q -pl gpu compile exec:java -Dexec.mainClass=dev.noether.gpu.CompareWithNvidiaSmi -Dexec.args=10
 * </pre>
 *
 * Each round reads NVML through the gauges' own sampling, then runs {@code nvidia-smi --query-gpu=index,
 * utilization.gpu,memory.used,power.draw,temperature.gpu --format=csv,noheader,nounits} at once. Exits 1
 * without GPU gauges (the log line says why), 2 when nvidia-smi cannot run.
 */
public final class CompareWithNvidiaSmi {
    private static final double MIB = 1024.0 * 1024.0;

    private CompareWithNvidiaSmi() {}

    /** {@code args[0]}: the number of rounds (default 5). */
    public static void main(String[] args) throws IOException, InterruptedException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        MeterRegistry registry = new SimpleMeterRegistry();
        try (NvmlGpuMetrics gpus = NvmlGpuMetrics.withSamplePeriod(Duration.ofDays(1))) { // rounds sample by hand
            gpus.bindTo(registry);
            if (gpus.gpuCount() == 0) {
                System.out.println("no GPU gauges (the log line above says why)");
                System.exit(1);
            }
            System.out.println("gpu  utilization %     memory used MiB       power W            temperature C");
            System.out.println("     noether  nvidia-smi  noether  nvidia-smi  noether  nvidia-smi  noether  nvidia-smi");
            for (int round = 0; round < rounds; round++) {
                if (round > 0) Thread.sleep(1000);
                gpus.sampleNow();
                List<String> smi;
                try {
                    smi = nvidiaSmi();
                } catch (IOException e) {
                    System.out.println("nvidia-smi does not run: " + e.getMessage());
                    System.exit(2);
                    return;
                }
                for (String line : smi) {
                    String[] f = line.split(",\\s*");
                    String gpu = f[0].strip();
                    System.out.println(String.format(Locale.ROOT, "%-4s %7.1f  %10s  %7.0f  %10s  %7.2f  %10s  %7.0f  %10s", gpu,
                            100 * value(registry, "noether.gpu.utilization", gpu), f[1],
                            value(registry, "noether.gpu.memory.used", gpu) / MIB, f[2],
                            value(registry, "noether.gpu.power", gpu), f[3],
                            value(registry, "noether.gpu.temperature", gpu), f[4]));
                }
            }
        }
    }

    private static double value(MeterRegistry registry, String name, String gpu) {
        Gauge gauge = registry.find(name).tag("gpu", gpu).gauge();
        return gauge == null ? Double.NaN : gauge.value();
    }

    private static List<String> nvidiaSmi() throws IOException, InterruptedException {
        Process smi = new ProcessBuilder("nvidia-smi",
                "--query-gpu=index,utilization.gpu,memory.used,power.draw,temperature.gpu",
                "--format=csv,noheader,nounits").redirectErrorStream(true).start();
        String out = new String(smi.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!smi.waitFor(30, TimeUnit.SECONDS) || smi.exitValue() != 0) throw new IOException("exit status, output: " + out);
        return out.lines().filter(l -> !l.isBlank()).toList();
    }
}
