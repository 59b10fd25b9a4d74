package dev.noether.dl4j;

import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.SnapshotArrays;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.physics.LayerMoments;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The every-step tier's cost per observed iteration for the 784-256-256-10 MLP at batch 128 on ND4J's
 * backend, A/B in one JVM, both at every iteration in {@code onGradientCalculation}: A = full host copies and
 * core's host sums ({@link Dl4jStepCapture#captureArrays}), B = the engine reductions
 * ({@link Dl4jStepCapture#reduced} without weights), against the iteration time. Not a test: run its
 * {@code main} with the module's test class path. Argument: iterations (default 300).
 */
public final class Dl4jStepTierBench {
    public static void main(String[] args) {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3)
                .updater(new Sgd(0.01)).weightInit(WeightInit.XAVIER).list()
                .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(784).nOut(256)
                        .activation(Activation.RELU).build())
                .layer(new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder().nIn(256).nOut(256)
                        .activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(256).nOut(10)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        Dl4jGraph graph = Dl4jNetworkMapper.map(net, "bench");
        List<DenseLayer> layers = graph.description().layers();
        Dl4jStepCapture capture = new Dl4jStepCapture(graph);
        long[] a = new long[iterations];
        long[] b = new long[iterations];
        long[] d = new long[iterations];
        SnapshotArrays arrays = new SnapshotArrays(4);
        long[] it = new long[iterations];
        double[] sink = {0};
        float[][] previous = new float[layers.size()][];
        int[] n = {0};
        net.addListeners(new BaseTrainingListener() {
            @Override
            public void onGradientCalculation(Model model) {
                long s0 = System.nanoTime();
                StepSnapshot host = Dl4jStepCapture.captureArrays(graph, OptimizerSettings.unknown());
                for (DenseLayer l : layers) {
                    sink[0] += LayerMoments.of(host.layer(l.index()), l.outputs(), l.inputs(), true, true,
                            previous[l.index()]).weightSquared;
                    previous[l.index()] = host.layer(l.index()).weight();
                }
                long s1 = System.nanoTime();
                StepSnapshot engine = capture.reduced(OptimizerSettings.unknown(), false);
                for (DenseLayer l : layers) {
                    sink[0] += LayerMoments.of(engine.layer(l.index()).reductions(), true, true, true).weightSquared;
                }
                long s2 = System.nanoTime();
                // D: the training thread's part by default on the CPU: the recycled host copies alone
                StepSnapshot recycled = Dl4jStepCapture.captureArrays(graph, OptimizerSettings.unknown(), arrays);
                long s3 = System.nanoTime();
                sink[0] += recycled.layer(0).weight()[0];
                recycled.release();
                if (n[0] < a.length) {
                    a[n[0]] = s1 - s0;
                    b[n[0]] = s2 - s1;
                    d[n[0]] = s3 - s2;
                }
            }
        });
        DataSet data = new DataSet(Nd4j.rand(128, 784), Nd4j.rand(128, 10));
        for (int w = 0; w < 50; w++) {
            net.fit(data);
        }
        for (int i = 0; i < iterations; i++) {
            n[0] = i;
            long s = System.nanoTime();
            net.fit(data);
            it[i] = System.nanoTime() - s - a[i] - b[i] - d[i];
        }
        double ma = median(a);
        double mb = median(b);
        double mi = median(it);
        System.out.printf(Locale.ROOT, "784-256-256-10 MLP, batch 128, %d iterations (sink %.3g)%n", iterations, sink[0]);
        System.out.printf(Locale.ROOT, "A host copies + host sums: median %.3f ms%n", ma);
        System.out.printf(Locale.ROOT, "B engine reductions:       median %.3f ms%n", mb);
        System.out.printf(Locale.ROOT, "D recycled host copies:    median %.3f ms (the training thread's part by default)%n",
                median(d));
        System.out.printf(Locale.ROOT, "iteration without these:   median %.3f ms%n", mi);
        System.out.printf(Locale.ROOT, "B/A median %.2f; per observed step: A %.1f %%, B %.1f %% of an iteration%n",
                mb / ma, 100 * ma / mi, 100 * mb / mi);
    }

    private static double median(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[s.length / 2] / 1e6;
    }
}
