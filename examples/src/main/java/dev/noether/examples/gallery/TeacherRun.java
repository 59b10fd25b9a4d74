package dev.noether.examples.gallery;

import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * The trained MLP that figures 6 and 7 read ([3]'s setting: SGD with weight decay on a teacher task): a DJL ReLU MLP
 * 32-64-64-8 learns y_i = 0.7^i · tanh(T_i x) with plain SGD and weight decay, analysed every 250 steps. The outputs'
 * unequal scales give the output layer's second moments a structure a random rotation destroys; with eight outputs of
 * equal scale they are all near multiples of the identity and so is their random-rotation baseline (measured: the
 * output layer's forward baselines 0.81–0.95, level with the alignments). Trained once per gallery run into
 * {@code <out>/6-crh.jsonl}; figure 7 reads the same log.
 */
final class TeacherRun {
    static final String MODEL = "teacher-mlp";
    static final int INPUTS = 32;
    static final int HIDDEN = 64;
    static final int OUTPUTS = 8;
    static final double OUTPUT_RATIO = 0.7;
    static final int SAMPLES = 4096;
    static final int BATCH = 64;
    static final double ETA = 0.1;
    static final double GAMMA = 0.01;
    static final int EVERY = 250;

    private TeacherRun() {}

    /** The records of the run, trained on first use in this gallery run (figure 6's log). */
    static Trained records(GalleryContext c) {
        return c.shared(MODEL, () -> {
            int steps = c.size(1500, 6000);
            double[] scales = new double[OUTPUTS];
            for (int i = 0; i < OUTPUTS; i++) {
                scales[i] = Math.pow(OUTPUT_RATIO, i);
            }
            Samples data = Teachers.tanh(SAMPLES, INPUTS, scales, 42);
            try (FigureLog log = c.log("6-crh")) {
                try (DjlRun run = new DjlRun(MODEL, Nets.relu(HIDDEN, HIDDEN, OUTPUTS), data, new Shape(INPUTS),
                        DjlRun.LossKind.L2, ETA, GAMMA, 42, 256, GalleryContext.everyStep(EVERY), c.registry(), log.reports())) {
                    run.steps(steps, BATCH);
                }
                String notes = String.format(Locale.ROOT, "DJL ReLU MLP %d-%d-%d-%d, y_i = %s^i · tanh(T_i x) with "
                                + "T ~ N(0, 1/%d), %d samples; plain SGD η = %s, batch %d, weight decay γ = %s on every "
                                + "parameter, %d steps; heavy analysis every %d steps on a fixed probe batch of 256 samples.",
                        INPUTS, HIDDEN, HIDDEN, OUTPUTS, OUTPUT_RATIO, INPUTS, SAMPLES, ETA, BATCH, GAMMA, steps, EVERY);
                return new Trained(log.finish(), steps, notes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    record Trained(Records records, int steps, String notes) {}
}
