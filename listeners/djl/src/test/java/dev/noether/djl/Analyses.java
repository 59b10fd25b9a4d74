package dev.noether.djl;

import dev.noether.core.runtime.NoetherMonitor;

/** Waits for the monitor's background analysis, for tests that read heavy-tier values after training. */
final class Analyses {
    private Analyses() {}

    /**
     * Trains {@code steps} steps (indices 0 .. steps − 1), waits for the analysis thread, then trains the step
     * with index {@code steps}, which must be both observed and due (a multiple of K and N): its analysis cannot
     * be skipped as busy, so the heavy-tier values afterwards are those of the final weights.
     */
    static NoetherMonitor trainAndAnalyseLastStep(DjlRun run, NoetherTrainingListener listener, int steps, int batch)
            throws InterruptedException {
        run.steps(steps, batch);
        NoetherMonitor monitor = listener.monitor().orElseThrow();
        awaitIdle(monitor);
        run.steps(1, batch);
        awaitIdle(monitor);
        if (monitor.latestAnalysis() == null || monitor.latestAnalysis().step() != steps) {
            throw new IllegalStateException("step " + steps + " was not analysed; is it a multiple of K and N?");
        }
        return monitor;
    }

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
