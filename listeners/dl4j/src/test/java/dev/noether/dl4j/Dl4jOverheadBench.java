package dev.noether.dl4j;

import dev.noether.core.runtime.NoetherConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.ui.model.stats.StatsListener;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What Noether costs a DL4J training loop, next to DL4J's own training UI (issue 5). Not a test: run
 * {@code main}, e.g. {@code mvn -B -q -pl listeners/dl4j -am -Pdl4j-bench -DskipTests verify} (see the README), best with
 * {@code OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=1} on CPUs where ND4J's OpenBLAS otherwise picks a slow
 * generic kernel.
 *
 * <p>A 784-256-256-10 ReLU MLP (softmax, cross-entropy, SGD, batch 128, synthetic data). Six networks with the
 * same initial weights train side by side, interleaved in blocks so that load changes on the machine hit all
 * of them alike: no listener; Noether at its defaults; Noether's step tier observing every step
 * ({@code observeEvery=1}; no probe, no background analysis, which on a machine without a spare core competes
 * with training); Noether observing only 2 steps in 25; {@code StatsListener} at its default (a report every
 * 10 iterations) into an {@code InMemoryStatsStorage}; {@code StatsListener(router, 1)}. Every iteration is
 * timed around {@code fit}; the median is the typical iteration, the mean includes the periodic work
 * (Noether's probe every 50 iterations, the UI's reports), and the 10th percentile is an iteration that
 * other load on a busy machine did not disturb. Noether's own timers (the step tier per step on the training
 * thread and on its step thread, the probe on the training thread; for the defaults and for every step)
 * are printed too.
 */
public final class Dl4jOverheadBench {
    private static final int[] WIDTHS = {784, 256, 256, 10};
    private static final int BATCH = 128;

    public static void main(String[] args) {
        SimpleMeterRegistry noetherMeters = new SimpleMeterRegistry();
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int block = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        int warmupRounds = Math.max(2, rounds / 10);
        SimpleMeterRegistry everyStepMeters = new SimpleMeterRegistry();
        List<String> names = List.of("none", "noether-default", "noether-every-step", "noether-observe-25", "statslistener-default",
                "statslistener-every-1");
        List<Supplier<TrainingListener>> listeners = List.of(
                () -> null,
                () -> NoetherListener.builder().modelName("bench").registry(noetherMeters).build(),
                () -> NoetherListener.builder().modelName("steps").registry(everyStepMeters)
                        .config(NoetherConfig.builder().observeEvery(1).analysisEvery(Integer.MAX_VALUE).build()).build(),
                () -> NoetherListener.builder().modelName("sampled")
                        .config(NoetherConfig.builder().observeEvery(25).build()).build(),
                () -> new StatsListener(new InMemoryStatsStorage()),
                () -> new StatsListener(new InMemoryStatsStorage(), 1));
        List<DataSet> batches = syntheticBatches(8, 3);
        List<MultiLayerNetwork> nets = new ArrayList<>();
        for (Supplier<TrainingListener> l : listeners) {
            MultiLayerNetwork net = mlp();
            TrainingListener listener = l.get();
            if (listener != null) {
                net.addListeners(listener);
            }
            nets.add(net);
        }
        List<List<Long>> times = new ArrayList<>();
        names.forEach(n -> times.add(new ArrayList<>()));
        int[] cursor = new int[nets.size()];
        for (int round = 0; round < rounds + warmupRounds; round++) {
            for (int v = 0; v < nets.size(); v++) {
                // rotate the order so no variant always runs right after another
                int variant = (v + round) % nets.size();
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
        System.out.printf("DL4J %s MLP, batch %d, %d iterations per variant, interleaved in blocks of %d%n",
                Arrays.toString(WIDTHS), BATCH, rounds * block, block);
        System.out.printf("OPENBLAS_CORETYPE=%s OMP_NUM_THREADS=%s%n", System.getenv("OPENBLAS_CORETYPE"),
                System.getenv("OMP_NUM_THREADS"));
        double baseFast = percentile(times.get(0), 0.1);
        double baseMedian = percentile(times.get(0), 0.5);
        double baseMean = mean(times.get(0));
        System.out.printf("%-24s %10s %7s %10s %7s %10s %7s%n", "variant", "p10 ms", "ratio", "median ms", "ratio",
                "mean ms", "ratio");
        for (int v = 0; v < names.size(); v++) {
            double fast = percentile(times.get(v), 0.1);
            double med = percentile(times.get(v), 0.5);
            double avg = mean(times.get(v));
            System.out.printf("%-24s %10.3f %7.3f %10.3f %7.3f %10.3f %7.3f%n", names.get(v), fast / 1e6,
                    fast / baseFast, med / 1e6, med / baseMedian, avg / 1e6, avg / baseMean);
        }
        // Noether's own account of its time on the training thread (default variant)
        // the step tier's cost per step: the copy on the training thread, the sums on the step thread
        for (String tier : List.of("step", "step_background", "probe")) {
            Timer t = noetherMeters.find("noether.analysis").tag("tier", tier).timer();
            System.out.printf("noether %-15s tier: %6d calls, mean %.3f ms%n", tier, (long) t.count(), t.mean(TimeUnit.MILLISECONDS));
        }
        // observeEvery=1 (issue 20): per observed step, the training thread's part and the step thread's sums
        for (String tier : List.of("step", "step_background")) {
            Timer t = everyStepMeters.find("noether.analysis").tag("tier", tier).timer();
            System.out.printf("noether-every-step %-15s tier: %6d calls, mean %.3f ms%n", tier, (long) t.count(),
                    t.mean(TimeUnit.MILLISECONDS));
        }
        System.out.printf("noether steps dropped: %.0f%n", noetherMeters.find("noether.steps.dropped").functionCounter().count());
        System.out.printf("noether-default: %.0f of %.0f iterations observed (%.1f %% lately), measured overhead %.2f %% of a "
                        + "%.0f %% budget, interference %.2f, analyses skipped for the budget %.0f%n",
                noetherMeters.find("noether.steps.observed").functionCounter().count(),
                noetherMeters.find("noether.steps").functionCounter().count(),
                100 * noetherMeters.find("noether.monitor.observed.fraction").gauge().value(),
                100 * noetherMeters.find("noether.monitor.overhead").gauge().value(),
                100 * noetherMeters.find("noether.monitor.overhead.budget").gauge().value(),
                noetherMeters.find("noether.monitor.interference").gauge().value(),
                noetherMeters.find("noether.analysis.skipped").tag("reason", "budget").functionCounter().count());
        Timer heavy = noetherMeters.find("noether.analysis").tag("tier", "heavy").timer();
        System.out.printf("noether heavy tier (background thread): %d analyses, mean %.0f ms; skipped busy %.0f, rate-limited %.0f%n",
                (long) heavy.count(), heavy.mean(TimeUnit.MILLISECONDS),
                noetherMeters.find("noether.analysis.skipped").tag("reason", "busy").functionCounter().count(),
                noetherMeters.find("noether.analysis.skipped").tag("reason", "rate_limited").functionCounter().count());
        System.exit(0); // the UI's storage and Noether's analysis thread are daemons, but DL4J may hold others
    }

    private static MultiLayerNetwork mlp() {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(42).updater(new Sgd(0.05))
                .weightInit(WeightInit.XAVIER).list();
        for (int l = 0; l < WIDTHS.length - 2; l++) {
            list.layer(new DenseLayer.Builder().nIn(WIDTHS[l]).nOut(WIDTHS[l + 1]).activation(Activation.RELU).build());
        }
        list.layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(WIDTHS[WIDTHS.length - 2])
                .nOut(WIDTHS[WIDTHS.length - 1]).activation(Activation.SOFTMAX).build());
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }

    /** Random inputs labelled by a random linear teacher, so the loss actually falls. */
    private static List<DataSet> syntheticBatches(int count, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray teacher = Nd4j.randn(WIDTHS[0], WIDTHS[WIDTHS.length - 1]);
        List<DataSet> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            INDArray x = Nd4j.rand(BATCH, WIDTHS[0]);
            INDArray classes = Nd4j.argMax(x.mmul(teacher), 1);
            INDArray y = Nd4j.zeros(BATCH, WIDTHS[WIDTHS.length - 1]);
            for (int s = 0; s < BATCH; s++) {
                y.putScalar(s, classes.getInt(s), 1.0);
            }
            out.add(new DataSet(x, y));
        }
        return out;
    }

    /** The q-quantile (nearest rank); p10 shows an iteration the machine's other load did not disturb. */
    private static double percentile(List<Long> values, double q) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    private static double mean(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).average().orElse(Double.NaN);
    }

    private Dl4jOverheadBench() {}
}
