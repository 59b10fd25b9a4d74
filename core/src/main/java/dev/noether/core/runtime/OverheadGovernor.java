package dev.noether.core.runtime;

import java.util.concurrent.TimeUnit;

/**
 * Keeps the monitor's whole cost within its overhead budget B ({@link NoetherConfig#overheadBudget()}, METRICS.md
 * §6) and decides, step by step, what the monitor may do. The budget is an account in nanoseconds: every step
 * interval of training earns B times its wall time; the monitor's time on the training thread (the step copies,
 * the probe batch) is spent from it as it happens, and so is κ times the busy time of its own threads (the step
 * tier's sums, the heavy analysis), κ being what a second of that background work was measured to take from
 * training ({@link InterferenceEstimate}).
 *
 * <p>Two purses share the earnings. A purse may be overdrawn by the cost of the job it admitted, never borrowed
 * from before: the step tier starts a run of {@link #runLength()} consecutive steps, and an analysis may start,
 * only while their purse is not in debt, and a purse in debt waits until training has earned it back. While the
 * analyses' purse (the probe and heavy analysis) repays a debt it takes half of the earnings; otherwise the step
 * tier takes them all, and what it cannot hold (one second's earnings) is saved for the analyses (up to ten
 * seconds' worth). So over any stretch of training the cost stays within
 * B of the wall time plus one run and one analysis, and a model whose observations are cheap against its steps
 * is observed at every step. The first runs and the first analysis, which carry one-time costs (loading and
 * compiling code), are not charged. Fixed strides ({@link NoetherConfig#observeEvery()} ≥ 1) replace the step tier's
 * schedule but are still measured and reported.
 *
 * <p>The training thread calls {@link #beginStep} and {@link #spend} (synchronized, since a final observation at
 * JVM shutdown may spend from another thread); readings ({@link #overhead()}, {@link #observedFraction()},
 * {@link #interference()}) are safe from any thread.
 */
final class OverheadGovernor {
    /** Who pays for a cost. */
    enum Purse { STEPS, ANALYSES }

    /** The steps' share of the earnings while the analyses repay a debt; the analyses get the rest. */
    private static final double STEP_SHARE = 0.5;
    private static final long STEP_CAP_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long ANALYSIS_CAP_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** The readings cover the last one or two of these. */
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long FIRST_READING_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final NoetherConfig config;
    private final double budget;
    /** A budget of 1 lifts every limit: each step observed, analyses bounded only by their own floors. */
    private final boolean unlimited;
    private final double stepCap;
    private final double analysisCap;
    private final InterferenceEstimate interference = new InterferenceEstimate();
    private volatile int runLength = 2;

    private double stepBalance;
    private double analysisBalance;
    private long lastStepStart = Long.MIN_VALUE;
    private long lastStepBusy;
    private long lastAnalysisBusy;
    private long spentSinceStep;
    private long runNext = Long.MIN_VALUE;
    private int runLeft;
    /** The first runs and the first analysis carry one-time costs that no purse pays (see {@link #warmingUp}). */
    private static final int WARM_UP_RUNS = 3;
    private int runsStarted;
    /** The step the last warm-up run ends at, its sums included; MIN_VALUE before the first starts. */
    private long warmUpUntil = Long.MIN_VALUE;
    private volatile boolean analysesWarm;
    private long currentStep = Long.MIN_VALUE;

    private Window current = new Window();
    private Window previous = new Window();
    private volatile double overhead = Double.NaN;
    private volatile double observedFraction = Double.NaN;
    private volatile double kappa = InterferenceEstimate.PRIOR;

    OverheadGovernor(NoetherConfig config) {
        this.config = config;
        this.budget = config.overheadBudget();
        this.unlimited = budget >= 1;
        this.stepCap = budget * STEP_SHARE * STEP_CAP_NANOS;
        this.analysisCap = budget * (1 - STEP_SHARE) * ANALYSIS_CAP_NANOS;
    }

    /** Consecutive steps per observed run: 2 for the one-step identities, 3 when a prediction needs Δ(t−1). */
    int runLength() {
        return runLength;
    }

    void runLength(int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("runLength must be at least 1, got " + steps);
        }
        this.runLength = steps;
    }

    /**
     * The start of step {@code step} (the adapter's call for it), at {@code now}, with the busy time of the step
     * thread and of the analysis thread so far. Books the interval since the previous step and decides whether
     * the step tier observes this one: by the budget, by the fixed stride, or because {@code force} (an analysis
     * is due at this step and needs its weights, or the step's loss is not finite).
     */
    synchronized Decision beginStep(long step, long now, long stepBusy, long analysisBusy, boolean force) {
        if (lastStepStart != Long.MIN_VALUE) {
            long interval = Math.max(0, now - lastStepStart);
            long stepBackground = Math.max(0, stepBusy - lastStepBusy);
            long analysisBackground = Math.max(0, analysisBusy - lastAnalysisBusy);
            interference.add(interval - spentSinceStep, stepBackground + analysisBackground);
            double k = interference.value();
            kappa = k;
            earn(budget * interval);
            if (!warmingUp()) {
                stepBalance -= k * stepBackground;
            }
            if (analysesWarm) {
                analysisBalance -= k * analysisBackground;
            }
            current.add(interval, spentSinceStep, stepBackground + analysisBackground);
        }
        currentStep = step;
        lastStepStart = now;
        lastStepBusy = stepBusy;
        lastAnalysisBusy = analysisBusy;
        spentSinceStep = 0;

        boolean scheduled;
        if (!config.observesByBudget()) {
            // a stride K observes its first two steps, or three when the prediction needs the update before
            int k = config.observeEvery();
            scheduled = config.observes(step) || k > runLength - 1 && Math.floorMod(step, k) < runLength;
        } else if (runLeft > 0 && step == runNext) {
            scheduled = true;
        } else {
            scheduled = unlimited || stepBalance >= 0;
            runLeft = scheduled ? runLength : 0;
            if (scheduled && ++runsStarted <= WARM_UP_RUNS) {
                warmUpUntil = step + runLength; // its last step's sums are booked at the step after it
            }
        }
        if (scheduled && runLeft > 0) {
            runLeft--;
            runNext = step + 1;
        }
        Decision decision = scheduled ? Decision.SCHEDULED : force ? Decision.FORCED : Decision.SKIPPED;
        current.step(decision != Decision.SKIPPED);
        publish();
        return decision;
    }

    /** Whether the step tier observes a step, and why. */
    enum Decision {
        /** Not observed. */
        SKIPPED,
        /** Observed by the schedule: the budget's runs, or the fixed stride. */
        SCHEDULED,
        /** Observed only because it was forced (an analysis needs its weights, or its loss is not finite). */
        FORCED;

        boolean observed() {
            return this != SKIPPED;
        }
    }

    /** Training-thread time the monitor spent for {@code purse} (a step's copy, a probe). */
    synchronized void spend(Purse purse, long nanos) {
        if (nanos <= 0) {
            return;
        }
        spentSinceStep += nanos;
        if (purse == Purse.STEPS) {
            if (!warmingUp()) {
                stepBalance -= nanos;
            }
        } else if (analysesWarm) {
            analysisBalance -= nanos;
        }
    }

    /** The first analysis has ended: from now on the analyses' purse pays for probes, analyses and their steps. */
    void analysesWarmedUp() {
        analysesWarm = true;
    }

    /** True when the analyses' purse is not in debt, so a due analysis may start. */
    synchronized boolean analysesHaveRoom() {
        return unlimited || analysisBalance >= 0;
    }

    /**
     * The monitor's measured cost as a share of training wall time over the last five to ten seconds: its
     * training-thread time plus κ times its background threads' busy time, over the wall time. NaN during the
     * first second.
     */
    double overhead() {
        return overhead;
    }

    /** Share of the steps the step tier observed over the same window; NaN before the first step. */
    double observedFraction() {
        return observedFraction;
    }

    /** κ: training time lost per second of the monitor's background work (see {@link InterferenceEstimate}). */
    double interference() {
        return kappa;
    }

    /**
     * True during the first three observed runs: they load classes, compile the sums and the engine's kernels
     * and allocate the arrays later runs reuse, one-time costs the step tier's purse does not pay; so does the
     * first analysis (code, JIT, native LAPACK) for the analyses' purse. Charged, they would leave a small model
     * unobserved for minutes after its start on a busy machine; the overhead reading still counts them.
     */
    private boolean warmingUp() {
        return warmUpUntil != Long.MIN_VALUE && currentStep <= warmUpUntil;
    }

    /** The analyses take their half only to pay a debt; the steps' overflow beyond their cap is saved for them. */
    private void earn(double credit) {
        if (analysisBalance < 0) {
            stepBalance += credit * STEP_SHARE;
            analysisBalance += credit * (1 - STEP_SHARE);
        } else {
            stepBalance += credit;
        }
        if (stepBalance > stepCap) {
            analysisBalance = Math.min(analysisCap, analysisBalance + stepBalance - stepCap);
            stepBalance = stepCap;
        }
    }

    private void publish() {
        if (current.wall >= WINDOW_NANOS) {
            previous = current;
            current = new Window();
        }
        long wall = current.wall + previous.wall;
        long steps = current.steps + previous.steps;
        if (steps > 0) {
            observedFraction = (double) (current.observed + previous.observed) / steps;
        }
        if (wall >= FIRST_READING_NANOS) {
            double cost = current.foreground + previous.foreground + kappa * (current.background + previous.background);
            overhead = Math.min(1, cost / wall);
        }
    }

    /** The sums of one stretch of steps. */
    private static final class Window {
        long wall;
        long foreground;
        long background;
        long steps;
        long observed;

        void add(long interval, long spent, long busy) {
            wall += interval;
            foreground += Math.min(spent, interval);
            background += busy;
        }

        void step(boolean wasObserved) {
            steps++;
            if (wasObserved) {
                observed++;
            }
        }
    }
}
