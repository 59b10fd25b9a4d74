package dev.noether.core.runtime;

import dev.noether.core.micrometer.NoetherMetrics;
import dev.noether.core.model.Activation;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Soak: a small model (4-16-16-2 MLP, plain SGD) trained for {@code steps} steps under a monitor that observes
 * every step and analyses every 50 steps (no minimum interval), bound to a Micrometer registry; prints the heap
 * after a full GC at the end, in MiB. Flat from 10⁴ to 10⁶ steps (±5 %) means nothing accumulates per step or
 * per analysis. The time column is the whole run.
 *
 * <p>Run: {@code mvn -q -pl core -Pbench verify -Dbench=SoakBenchmark} and read the {@code heap after GC} lines.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx256m", "-XX:+UseSerialGC"})
public class SoakBenchmark {
    @Param({"10000", "1000000"})
    public int steps;

    @Benchmark
    public long soak() throws Exception {
        PlainSgdMlp net = new PlainSgdMlp(new int[] {4, 16, 16, 2}, true, PlainSgdMlp.Act.RELU, 0.01, 0, 3);
        double[][][] data = PlainSgdMlp.teacherData(32, 4, 2, 5);
        NoetherConfig config = NoetherConfig.builder().observeEvery(1).analysisEvery(50)
                .minAnalysisInterval(Duration.ZERO).maxAnalysisShare(1).overheadBudget(1).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        long analyses;
        try (NoetherMonitor monitor = NoetherMonitor.builder(net.describe("soak", Activation.RELU)).config(config)
                .build()) {
            new NoetherMetrics(monitor).bindTo(registry);
            for (int t = 0; t < steps; t++) {
                double loss = net.backward(data[0], data[1]);
                monitor.onStep(net.snapshot(t, loss, net.sgd()));
                monitor.analyze(t, List::of);
                net.update();
                if (t % 10_000 == 0) {
                    registry.getMeters().forEach(m -> m.measure().forEach(x -> { })); // a scrape's reads
                }
            }
            analyses = registry.find("noether.analysis").tag("tier", "heavy").timer().count();
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf("%nheap after GC at %d steps: %.2f MiB (%d analyses, %d meters)%n", steps,
                    heap / 1048576.0, analyses, registry.getMeters().size());
        }
        return analyses;
    }
}
