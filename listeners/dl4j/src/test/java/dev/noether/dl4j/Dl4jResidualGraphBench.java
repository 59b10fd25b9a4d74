package dev.noether.dl4j;

import dev.noether.core.runtime.NoetherConfig;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What Noether at its defaults costs a residual DL4J {@code ComputationGraph} (issue 12). Not a test: run
 * {@code main}, e.g. {@code mvn -B -q -pl listeners/dl4j -am -Pdl4j-graph-bench -DskipTests verify}.
 *
 * <p>Arguments: rounds, iterations per block, image size (default 20 10 28). A small ResNet on generated
 * images, batch 32: a 3×3 stem conv (16 channels, ReLU), two residual
 * blocks conv-BN-ReLU-conv-BN + skip, ReLU, global average pooling, a dense head (32, ReLU) and a softmax
 * output: 5 conv and 2 dense layers. Three graphs with the same initial weights train side by side,
 * interleaved in blocks with a rotating order so load changes on the machine hit all of them alike: no
 * listener, Noether at its defaults, and Noether's every-step tier alone. Every iteration is timed around
 * {@code fit}; the ratios are to the graph without listener.
 */
public final class Dl4jResidualGraphBench {
    private static final int BATCH = 32;
    private static final int CHANNELS = 16;

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int block = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 28;
        int warmupRounds = Math.max(2, rounds / 10);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<String> names = List.of("none", "noether-default", "noether-step-tier-only");
        List<Supplier<TrainingListener>> listeners = List.of(
                () -> null,
                () -> NoetherListener.builder().modelName("bench").registry(meters).build(),
                () -> NoetherListener.builder().modelName("steps")
                        .config(NoetherConfig.builder().analysisEvery(Integer.MAX_VALUE).build()).build());
        DataSet data = GeneratedImages.of(8 * BATCH, 1, size, 10, 3, false);
        List<ComputationGraph> graphs = new ArrayList<>();
        for (Supplier<TrainingListener> l : listeners) {
            ComputationGraph graph = resNet(size);
            TrainingListener listener = l.get();
            if (listener != null) {
                graph.addListeners(listener);
            }
            graphs.add(graph);
        }
        List<List<Long>> times = new ArrayList<>();
        names.forEach(n -> times.add(new ArrayList<>()));
        int[] cursor = new int[graphs.size()];
        for (int round = 0; round < rounds + warmupRounds; round++) {
            for (int v = 0; v < graphs.size(); v++) {
                int variant = (v + round) % graphs.size();
                for (int i = 0; i < block; i++) {
                    DataSet batch = GeneratedImages.batch(data, cursor[variant]++, BATCH);
                    long start = System.nanoTime();
                    graphs.get(variant).fit(batch);
                    long spent = System.nanoTime() - start;
                    if (round >= warmupRounds) {
                        times.get(variant).add(spent);
                    }
                }
            }
        }
        System.out.printf("DL4J residual ComputationGraph (5 conv, 2 dense), %dx%d images, batch %d, %d iterations "
                + "per variant, interleaved in blocks of %d%n", size, size, BATCH, rounds * block, block);
        System.out.printf("OPENBLAS_CORETYPE=%s OMP_NUM_THREADS=%s%n", System.getenv("OPENBLAS_CORETYPE"),
                System.getenv("OMP_NUM_THREADS"));
        double baseMedian = percentile(times.get(0), 0.5);
        double baseMean = mean(times.get(0));
        System.out.printf("%-24s %10s %7s %10s %7s%n", "variant", "median ms", "ratio", "mean ms", "ratio");
        for (int v = 0; v < names.size(); v++) {
            double med = percentile(times.get(v), 0.5);
            double avg = mean(times.get(v));
            System.out.printf("%-24s %10.3f %7.3f %10.3f %7.3f%n", names.get(v), med / 1e6, med / baseMedian,
                    avg / 1e6, avg / baseMean);
        }
        for (String tier : List.of("step", "probe", "heavy")) {
            Timer t = meters.find("noether.analysis").tag("tier", tier).timer();
            System.out.printf("noether %-5s tier: %6d calls, mean %.3f ms%n", tier, (long) t.count(),
                    t.mean(TimeUnit.MILLISECONDS));
        }
        System.exit(0);
    }

    private static ComputationGraph resNet(int size) {
        var g = new NeuralNetConfiguration.Builder().seed(42).updater(new Sgd(0.05)).weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same).graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(size, size, 1))
                .addLayer("stem", new ConvolutionLayer.Builder(3, 3).nOut(CHANNELS).activation(Activation.RELU).build(), "in");
        String previous = "stem";
        for (int b = 1; b <= 2; b++) {
            String p = "block" + b + "_";
            g.addLayer(p + "convA", new ConvolutionLayer.Builder(3, 3).nOut(CHANNELS).hasBias(false)
                            .activation(Activation.IDENTITY).build(), previous)
                    .addLayer(p + "bnA", new BatchNormalization.Builder().build(), p + "convA")
                    .addLayer(p + "reluA", new ActivationLayer.Builder().activation(Activation.RELU).build(), p + "bnA")
                    .addLayer(p + "convB", new ConvolutionLayer.Builder(3, 3).nOut(CHANNELS).hasBias(false)
                            .activation(Activation.IDENTITY).build(), p + "reluA")
                    .addLayer(p + "bnB", new BatchNormalization.Builder().build(), p + "convB")
                    .addVertex(p + "add", new ElementWiseVertex(ElementWiseVertex.Op.Add), p + "bnB", previous)
                    .addLayer(p + "out", new ActivationLayer.Builder().activation(Activation.RELU).build(), p + "add");
            previous = p + "out";
        }
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), previous)
                .addLayer("fc", new DenseLayer.Builder().nOut(32).activation(Activation.RELU).build(), "pool")
                .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
                        .activation(Activation.SOFTMAX).build(), "fc")
                .setOutputs("out");
        ComputationGraph graph = new ComputationGraph(g.build());
        graph.init();
        return graph;
    }

    private static double percentile(List<Long> values, double q) {
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))];
    }

    private static double mean(List<Long> values) {
        return values.stream().mapToLong(Long::longValue).average().orElse(Double.NaN);
    }

    private Dl4jResidualGraphBench() {}
}
