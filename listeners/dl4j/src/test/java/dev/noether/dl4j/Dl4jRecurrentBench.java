package dev.noether.dl4j;

import dev.noether.core.runtime.NoetherConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What Noether costs a DL4J recurrent network (issue 23's {@code dl4j-lstm} demo): an LSTM of {@code width} units
 * over 3 channels into an RnnOutputLayer of 2, {@link SequenceTask} sequences of 20 steps, batch 64, SGD. Not a
 * test: run {@code main} ({@code mvn -B -q -pl listeners/dl4j -am -Pdl4j-recurrent-bench -DskipTests verify
 * [-Dbench.args="rounds block width"]}), best with {@code OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=1}.
 *
 * <p>Three networks with the same initial weights train interleaved in blocks, so that load on the machine hits
 * them alike: no listener; Noether at its defaults; Noether as the demo runs it (a heavy analysis every 50 steps, at
 * most every 0.5 s). Prints step-time percentiles with ratios to the bare network, then Noether's own timers.
 */
public final class Dl4jRecurrentBench {
    private static final int FEATURES = 3;
    private static final int LENGTH = 20;
    private static final int BATCH = 64;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int block = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int width = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int warmupRounds = Math.max(1, rounds / 10);
        SimpleMeterRegistry defaults = new SimpleMeterRegistry();
        SimpleMeterRegistry demo = new SimpleMeterRegistry();
        List<String> names = List.of("none", "noether-default", "noether-demo");
        List<Supplier<TrainingListener>> listeners = List.of(
                () -> null,
                () -> NoetherListener.builder().modelName("defaults").registry(defaults).build(),
                () -> NoetherListener.builder().modelName("demo").registry(demo).config(NoetherConfig.builder()
                        .analysisEvery(50).minAnalysisInterval(Duration.ofMillis(500)).build()).build());
        DataSet all = SequenceTask.data(16 * BATCH, FEATURES, LENGTH, 7);
        List<DataSet> batches = new ArrayList<>();
        for (int b = 0; b < 16; b++) {
            batches.add(SequenceTask.batch(all, b * BATCH, BATCH));
        }
        List<MultiLayerNetwork> nets = new ArrayList<>();
        List<NoetherListener> toClose = new ArrayList<>();
        for (Supplier<TrainingListener> l : listeners) {
            MultiLayerNetwork net = lstm(width);
            TrainingListener listener = l.get();
            if (listener != null) {
                net.addListeners(listener);
                toClose.add((NoetherListener) listener);
            }
            nets.add(net);
        }
        List<List<Long>> times = new ArrayList<>();
        names.forEach(n -> times.add(new ArrayList<>()));
        int[] cursor = new int[nets.size()];
        for (int round = 0; round < rounds + warmupRounds; round++) {
            for (int v = 0; v < nets.size(); v++) {
                int variant = (v + round) % nets.size(); // no variant always runs right after another
                for (int i = 0; i < block; i++) {
                    DataSet batch = batches.get(cursor[variant]++ % batches.size());
                    long start = System.nanoTime();
                    nets.get(variant).fit(batch);
                    long spent = System.nanoTime() - start;
                    if (round >= warmupRounds) {
                        times.get(variant).add(spent);
                    }
                }
            }
        }
        System.out.printf("DL4J LSTM %d-%d + RnnOutputLayer %d, %d steps, batch %d, %d iterations per variant, blocks of %d%n",
                FEATURES, width, 2, LENGTH, BATCH, rounds * block, block);
        System.out.printf("OPENBLAS_CORETYPE=%s OMP_NUM_THREADS=%s%n", System.getenv("OPENBLAS_CORETYPE"),
                System.getenv("OMP_NUM_THREADS"));
        double baseMedian = percentile(times.get(0), 0.5);
        double baseMean = mean(times.get(0));
        System.out.printf("%-18s %10s %7s %10s %7s %10s %9s%n", "variant", "median ms", "ratio", "mean ms", "ratio",
                "max ms", "steps/s");
        for (int v = 0; v < names.size(); v++) {
            double med = percentile(times.get(v), 0.5);
            double avg = mean(times.get(v));
            System.out.printf("%-18s %10.3f %7.3f %10.3f %7.3f %10.1f %9.1f%n", names.get(v), med / 1e6, med / baseMedian,
                    avg / 1e6, avg / baseMean, percentile(times.get(v), 1.0) / 1e6, 1e9 / avg);
        }
        for (String variant : List.of("noether-default", "noether-demo")) {
            SimpleMeterRegistry r = variant.equals("noether-demo") ? demo : defaults;
            for (String tier : List.of("step", "step_background", "probe", "heavy")) {
                Timer t = r.find("noether.analysis").tag("tier", tier).timer();
                System.out.printf("%-16s %-15s tier: %6d calls, mean %8.3f ms, max %8.3f ms%n", variant, tier,
                        t == null ? 0 : t.count(), t == null ? Double.NaN : t.mean(TimeUnit.MILLISECONDS),
                        t == null ? Double.NaN : t.max(TimeUnit.MILLISECONDS));
            }
            System.out.printf("%-16s observed %.0f of %.0f, overhead %.2f %%, skipped: budget %.0f busy %.0f rate-limited %.0f%n",
                    variant, r.find("noether.steps.observed").functionCounter().count(),
                    r.find("noether.steps").functionCounter().count(),
                    100 * r.find("noether.monitor.overhead").gauge().value(),
                    skipped(r, "budget"), skipped(r, "busy"), skipped(r, "rate_limited"));
        }
        long closeStart = System.nanoTime();
        toClose.forEach(NoetherListener::close);
        System.out.printf("closing both listeners (final analyses): %.0f ms%n", (System.nanoTime() - closeStart) / 1e6);
        System.exit(0);
    }

    private static double skipped(SimpleMeterRegistry r, String reason) {
        var c = r.find("noether.analysis.skipped").tag("reason", reason).functionCounter();
        return c == null ? Double.NaN : c.count();
    }

    private static MultiLayerNetwork lstm(int width) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(42).updater(new Sgd(0.05))
                .l2(3e-3).l2Bias(3e-3).weightInit(WeightInit.XAVIER).list()
                .layer(new LSTM.Builder().name("lstm").nIn(FEATURES).nOut(width).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(width).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        return net;
    }

    /** The q-quantile (nearest rank). */
    private static double percentile(List<Long> values, double q) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    private static double mean(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).average().orElse(Double.NaN);
    }

    private Dl4jRecurrentBench() {}
}
