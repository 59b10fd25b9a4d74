package dev.noether.djl;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.model.DenseLayer;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.SnapshotArrays;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.physics.LayerMoments;

import java.util.List;
import java.util.Locale;

/**
 * The every-step tier's engine-side cost per observed step for the 784-256-256-10 MLP at batch 128, A/B in
 * one JVM, interleaved in blocks: A = full host copies of θ and ĝ and the host sums
 * ({@link StepCapture#captureArrays} + {@link LayerMoments#of(dev.noether.core.model.LayerSnapshot, int, int,
 * boolean, boolean, float[])}, the path before the engine reductions), B = the engine reductions
 * ({@link StepCapture#reduced} without weights + {@link LayerMoments#of(dev.noether.core.model.LayerReductions,
 * boolean, boolean, boolean)}), C = one training step (trainBatch + step) for scale. Not a test: run its
 * {@code main} with the class path of the module README. Arguments: blocks (default 10), repetitions per
 * block (default 50).
 */
public final class DjlStepTierBench {
    public static void main(String[] args) {
        int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        TeacherStudent data = TeacherStudent.generate(4096, 784, 10, 7);
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build();
        try (DjlRun run = new DjlRun(Mlp.relu(256, 256, 10), data, sgd, 3)) {
            run.steps(20, 128);
            run.backward(128);
            MappedNetwork mapped = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
            List<DenseLayer> layers = mapped.description().layers();
            OptimizerSettings opt = OptimizerSettings.plainSgd(0.01, 0, 0);
            long[] a = new long[blocks * reps];
            long[] b = new long[blocks * reps];
            long[] c = new long[blocks * reps];
            long[] d = new long[blocks * reps];
            SnapshotArrays arrays = new SnapshotArrays(3);
            double sink = 0;
            try (StepCapture capture = new StepCapture(mapped.dense())) {
                float[][] previous = new float[layers.size()][];
                long t = 0;
                for (int k = -1; k < blocks; k++) { // block −1 warms up
                    for (int r = 0; r < reps; r++, t++) {
                        long s0 = System.nanoTime();
                        StepSnapshot host = capture.captureArrays(t, 0, opt);
                        for (DenseLayer l : layers) {
                            LayerMoments m = LayerMoments.of(host.layer(l.index()), l.outputs(), l.inputs(), true,
                                    true, previous[l.index()]);
                            previous[l.index()] = host.layer(l.index()).weight();
                            sink += m.weightSquared;
                        }
                        long s1 = System.nanoTime();
                        StepSnapshot engine = capture.reduced(t, 0, opt, false);
                        for (DenseLayer l : layers) {
                            sink += LayerMoments.of(engine.layer(l.index()).reductions(), true, true, true).weightSquared;
                        }
                        long s2 = System.nanoTime();
                        // D: what the training thread does by default on the CPU: recycled host copies only
                        StepSnapshot recycled = capture.captureArrays(t, 0, opt, arrays);
                        long s3 = System.nanoTime();
                        sink += recycled.layer(0).weight()[0];
                        recycled.release();
                        long s4 = System.nanoTime();
                        run.steps(1, 128);
                        run.backward(128);
                        long s5 = System.nanoTime();
                        if (k >= 0) {
                            a[k * reps + r] = s1 - s0;
                            b[k * reps + r] = s2 - s1;
                            d[k * reps + r] = s3 - s2;
                            c[k * reps + r] = s5 - s4;
                        }
                    }
                }
            }
            double ma = DjlOverheadBench.median(a);
            double mb = DjlOverheadBench.median(b);
            double mc = DjlOverheadBench.median(c) / 2; // a step + a backward ≈ two steps' forward/backward
            System.out.printf(Locale.ROOT, "784-256-256-10 MLP, batch 128, %d x %d observed steps (sink %.3g)%n",
                    blocks, reps, sink);
            System.out.printf(Locale.ROOT, "A host copies + host sums: median %.3f ms, mean %.3f ms%n", ma,
                    DjlOverheadBench.mean(a));
            System.out.printf(Locale.ROOT, "B engine reductions:       median %.3f ms, mean %.3f ms%n", mb,
                    DjlOverheadBench.mean(b));
            System.out.printf(Locale.ROOT, "D recycled host copies:    median %.3f ms, mean %.3f ms (the training thread's part by default)%n",
                    DjlOverheadBench.median(d), DjlOverheadBench.mean(d));
            System.out.printf(Locale.ROOT, "training step (approx.):   median %.3f ms%n", mc);
            System.out.printf(Locale.ROOT, "B/A median %.2f; per observed step: A %.1f %%, B %.1f %% of a step%n",
                    mb / ma, 100 * ma / mc, 100 * mb / mc);
        }
    }
}
