package dev.noether.djl;

import dev.noether.core.NoetherMonitor;

/** Waits for the monitor's background analysis, for tests that read heavy-tier values after training. */
final class Analyses {
    private Analyses() {}

    /** Waits for any running analysis, then analyses the latest step's weights (no probe) and waits again. */
    static void finalAnalysis(NoetherMonitor monitor, long step) throws InterruptedException {
        awaitIdle(monitor);
        if (!monitor.analyze(step + 1_000_000, null)) {
            throw new IllegalStateException("the final analysis was not started");
        }
        awaitIdle(monitor);
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
