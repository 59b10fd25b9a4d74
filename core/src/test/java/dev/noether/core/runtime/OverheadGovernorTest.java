package dev.noether.core.runtime;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The overhead budget on a synthetic training loop whose step time, copy cost, background cost and interference
 * the test sets (time is the test's own nanosecond counter, the governor's ticker readings): the governor must keep
 * the true cost (which the test computes from what it simulated) and its own measurement of it within the budget,
 * observe every step when that is affordable, and back off when the steps get cheaper.
 */
class OverheadGovernorTest {
    private static final long MS = 1_000_000;

    /** A training loop: steps of {@code stepNanos} ± 10 %, each observation costing a copy and background sums. */
    private static final class Loop {
        final OverheadGovernor governor;
        final BusyClock busy = new BusyClock();
        final SplittableRandom random = new SplittableRandom(7);
        long now = 1_000 * MS;
        long step;
        long wall;
        double trueCost;
        long observed;
        long steps;

        Loop(double budget) {
            governor = new OverheadGovernor(NoetherConfig.builder().overheadBudget(budget).build());
        }

        /**
         * Runs {@code count} steps. An observed step spends {@code copy} on the training thread and then occupies the
         * step thread for {@code sums}, which slows training by {@code kappa} times the overlap (the true
         * interference the governor has to measure).
         */
        void run(int count, long stepNanos, long copy, long sums, double kappa) {
            for (int i = 0; i < count; i++) {
                long start = now;
                boolean observe = governor.beginStep(step, now, busy.busy(now), 0, false).observed();
                long training = (long) (stepNanos * (0.9 + 0.2 * random.nextDouble()));
                if (observe) {
                    governor.spend(OverheadGovernor.Purse.STEPS, copy);
                    now += copy;
                    busy.begin(now);
                    busy.end(now + sums); // the sums end within this step (sums < step time in these tests)
                    long lost = Math.round(kappa * sums);
                    now += lost;
                    trueCost += copy + lost;
                    observed++;
                }
                now += training;
                wall += now - start;
                steps++;
                step++;
            }
        }

        void resetTotals() {
            wall = 0;
            trueCost = 0;
            observed = 0;
            steps = 0;
        }

        double trueOverhead() {
            return trueCost / wall;
        }

        double fraction() {
            return (double) observed / steps;
        }
    }

    @Test
    void slowStepsWhoseObservationIsCheapAreAllObserved() {
        Loop loop = new Loop(0.02);
        // 50 ms steps, 0.2 ms copy + 0.4 ms sums at κ = 0.5: 0.4 ms per step, 0.8 % of it
        loop.run(2_000, 50 * MS, MS / 5, 2 * MS / 5, 0.5);
        assertThat(loop.fraction()).isEqualTo(1.0);
        assertThat(loop.trueOverhead()).isLessThan(0.02);
        // every interval had background work: no clean baseline, so κ stays at its cautious prior of 1
        assertThat(loop.governor.interference()).isEqualTo(InterferenceEstimate.PRIOR);
        assertThat(loop.governor.overhead()).isCloseTo((0.2 + 0.4) / 50.6, within(0.002));
    }

    @Test
    void fastStepsAreSampledWithinTheBudgetAndTheInterferenceIsMeasured() {
        Loop loop = new Loop(0.02);
        // 4 ms steps; an observation costs 0.5 ms copy + 1.2 ms sums at κ = 0.3: 0.86 ms, 21 % of a step
        loop.run(20_000, 4 * MS, MS / 2, 6 * MS / 5, 0.3);
        assertThat(loop.governor.interference()).isCloseTo(0.3, within(0.05));
        loop.resetTotals();
        loop.run(20_000, 4 * MS, MS / 2, 6 * MS / 5, 0.3);
        // the whole budget (no analysis is in debt, so the steps earn it all) buys 2 % / 21.5 %
        assertThat(loop.trueOverhead()).isBetween(0.018, 0.0205);
        assertThat(loop.fraction()).isCloseTo(0.02 * 4.0 / 0.86, within(0.01));
        assertThat(loop.governor.overhead()).isCloseTo(loop.trueOverhead(), within(0.002));
        assertThat(loop.governor.observedFraction()).isCloseTo(loop.fraction(), within(0.02));
    }

    @Test
    void withoutASpareCoreTheBackgroundCostsItsFullTimeAndTheGovernorObservesLess() {
        Loop spare = new Loop(0.02);
        Loop none = new Loop(0.02);
        spare.run(30_000, 4 * MS, MS / 2, 6 * MS / 5, 0.0);
        none.run(30_000, 4 * MS, MS / 2, 6 * MS / 5, 1.0);
        assertThat(spare.governor.interference()).isCloseTo(0.0, within(0.05));
        assertThat(none.governor.interference()).isCloseTo(1.0, within(0.05));
        spare.resetTotals();
        none.resetTotals();
        spare.run(20_000, 4 * MS, MS / 2, 6 * MS / 5, 0.0);
        none.run(20_000, 4 * MS, MS / 2, 6 * MS / 5, 1.0);
        assertThat(spare.trueOverhead()).isBetween(0.018, 0.0205);
        assertThat(none.trueOverhead()).isBetween(0.018, 0.0205);
        assertThat(spare.fraction()).isCloseTo(0.02 * 4.0 / 0.5, within(0.01));
        assertThat(none.fraction()).isCloseTo(0.02 * 4.0 / 1.7, within(0.01));
    }

    @Test
    void whenStepsGetCheaperTheGovernorBacksOff() {
        Loop loop = new Loop(0.02);
        loop.run(3_000, 20 * MS, MS / 10, 0, 0);  // 0.1 ms per 20 ms step: every step
        assertThat(loop.fraction()).isEqualTo(1.0);
        loop.resetTotals();
        loop.run(5_000, MS, MS / 10, 0, 0);       // the same copy against 1 ms steps: 10 %, so one step in five
        loop.resetTotals();
        loop.run(20_000, MS, MS / 10, 0, 0);
        assertThat(loop.fraction()).isCloseTo(0.2, within(0.01));
        assertThat(loop.trueOverhead()).isBetween(0.018, 0.0205);
    }

    @Test
    void observationsComeInRunsOfConsecutiveSteps() {
        OverheadGovernor governor = new OverheadGovernor(NoetherConfig.builder().overheadBudget(0.02).build());
        long now = 0;
        int runs = 0;
        int run = 0;
        for (long step = 0; step < 10_000; step++) {
            boolean observe = governor.beginStep(step, now, 0, 0, false).observed();
            if (observe) {
                governor.spend(OverheadGovernor.Purse.STEPS, MS);
                run++;
            } else if (run > 0) {
                runs++;
                // the uncharged warm-up runs run into each other; after them a 1 ms copy of 2 ms steps is 50 %
                assertThat(run).as("run ending before step %d", step).isEqualTo(step < 10 ? run : 2);
                assertThat(run).isGreaterThanOrEqualTo(2);
                run = 0;
            }
            now += 2 * MS + (observe ? MS : 0);
        }
        assertThat(runs).isGreaterThan(50);
    }

    @Test
    void aFixedStrideIsKeptAndStillMeasured() {
        OverheadGovernor governor = new OverheadGovernor(NoetherConfig.builder().observeEvery(1).build());
        long now = 0;
        for (long step = 0; step < 2_000; step++) {
            assertThat(governor.beginStep(step, now, 0, 0, false)).isEqualTo(OverheadGovernor.Decision.SCHEDULED);
            governor.spend(OverheadGovernor.Purse.STEPS, MS);
            now += 10 * MS;
        }
        assertThat(governor.observedFraction()).isEqualTo(1.0);
        assertThat(governor.overhead()).isCloseTo(0.1, within(1e-9)); // 1 ms of 10 ms: over budget, but forced
    }

    @Test
    void aForcedStepIsObservedWhateverTheBudget() {
        OverheadGovernor governor = new OverheadGovernor(NoetherConfig.builder().overheadBudget(0.001).build());
        long now = 0;
        // the three warm-up runs (0, 1), (2, 3), (4, 5), their last sums booked at step 6, are not charged
        for (long step = 0; step <= 6; step++) {
            assertThat(governor.beginStep(step, now, 0, 0, false)).isEqualTo(OverheadGovernor.Decision.SCHEDULED);
            governor.spend(OverheadGovernor.Purse.STEPS, 100 * MS);
            now += 200 * MS;
        }
        // step 6 began a fourth run, still free of debt: its second step is observed, and then the debt tells
        assertThat(governor.beginStep(7, now, 0, 0, false)).as("the run's second step")
                .isEqualTo(OverheadGovernor.Decision.SCHEDULED);
        governor.spend(OverheadGovernor.Purse.STEPS, 100 * MS); // deep in debt
        now += 200 * MS;
        assertThat(governor.beginStep(8, now, 0, 0, false)).isEqualTo(OverheadGovernor.Decision.SKIPPED);
        assertThat(governor.beginStep(9, now + MS, 0, 0, true)).isEqualTo(OverheadGovernor.Decision.FORCED);
        assertThat(governor.beginStep(10, now + 2 * MS, 0, 0, false)).isEqualTo(OverheadGovernor.Decision.SKIPPED);
    }

    @Test
    void anAnalysisInDebtWaitsUntilTrainingHasEarnedItBack() {
        OverheadGovernor governor = new OverheadGovernor(NoetherConfig.builder().overheadBudget(0.02).build());
        long now = 0;
        governor.beginStep(0, now, 0, 0, false);
        assertThat(governor.analysesHaveRoom()).isTrue();
        governor.spend(OverheadGovernor.Purse.ANALYSES, 100 * MS); // the first analysis: one-time costs, free
        assertThat(governor.analysesHaveRoom()).isTrue();
        governor.analysesWarmedUp();
        governor.spend(OverheadGovernor.Purse.ANALYSES, 100 * MS); // a 100 ms probe on the training thread
        int steps = 0;
        while (!governor.analysesHaveRoom()) {
            now += 10 * MS;
            governor.beginStep(++steps, now, 0, 0, false);
        }
        // the analyses' half (1 %) of 10 ms steps earns 0.1 ms a step, and the steps' half too once the steps' purse
        // is at its 10 ms cap: between 500 and 1000 steps repay 100 ms
        assertThat(steps).isBetween(500, 1_000);
    }
}
