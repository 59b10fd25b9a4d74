package dev.noether.djl;

import dev.noether.core.runtime.NoetherMonitor;

/** Waits for the monitor's background analysis, for tests that read heavy-tier values after training. */
final class Analyses {
    private Analyses() {}

    /**
     * Trains {@code steps} steps (indices 0 .. steps − 1), waits for the analysis thread, then trains one step at a
     * time, waiting for the analysis thread after each, until the step just trained is analysed: the heavy-tier
     * values afterwards are those of the final weights. Normally that is the step with index {@code steps} (a
     * multiple of K and N); on a loaded machine a due analysis can slip to a later step (the analysis thread was
     * busy, or the step tier had not observed the due step), and the next due one is then taken.
     */
    static NoetherMonitor trainAndAnalyseLastStep(DjlRun run, NoetherTrainingListener listener, int steps, int batch)
            throws InterruptedException {
        run.steps(steps, batch);
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        awaitIdle(monitor);
        for (int step = steps; step <= steps + MAX_SLIP; step++) {
            run.steps(1, batch);
            awaitIdle(monitor);
            if (monitor.latestAnalysis() != null && monitor.latestAnalysis().step() == step) {
                return monitor;
            }
        }
        throw new IllegalStateException("none of steps " + steps + " .. " + (steps + MAX_SLIP)
                + " was analysed; is analysisEvery at most " + MAX_SLIP + "?");
    }

    /** The most steps past the expected one that the helper trains waiting for a due analysis. */
    private static final int MAX_SLIP = 100;

    static void awaitIdle(NoetherMonitor monitor) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (monitor.isAnalysisRunning()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("analysis still running after 120 s");
            }
            Thread.sleep(10);
        }
    }
}
