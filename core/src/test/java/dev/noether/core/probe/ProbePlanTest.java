package dev.noether.core.probe;

import dev.noether.core.model.ProbePositions;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The probe's cost model and plan: the cost against a hand count of multiply-adds, the plan as the largest pass
 * under the budget (by brute force over every samples × row cap), positions given up before samples, and the
 * throughput's calibration.
 */
class ProbePlanTest {
    /** A 3×3 conv, 16 → 32 channels on 8×8 outputs (n = 144), then a 32 → 10 dense head. */
    private static ProbeWorkload convNet(int samples) {
        return ProbeWorkload.builder(samples).conv(32, 144, 64).dense(10, 32).build();
    }

    @Test
    void theCostCountsTheLayersPassesAndTheMomentsOfTheRowsKept() {
        // 16 samples × 64 positions = 1024 rows: every position kept
        double conv = 3.0 * 16 * 64 * 32 * 144 + 1024 * (144 + 144.0 * 144 + 2 * 32 * 32);
        double dense = 3.0 * 16 * 10 * 32 + 16 * (32 + 32 * 32 + 2 * 10 * 10);
        assertThat(convNet(16).cost(16, 1024)).isEqualTo(conv + dense);
        // 64 samples: 1024 / 64 = 16 positions each
        double conv64 = 3.0 * 64 * 64 * 32 * 144 + 64 * 16 * (144 + 144.0 * 144 + 2 * 32 * 32);
        double dense64 = 3.0 * 64 * 10 * 32 + 64 * (32 + 32 * 32 + 2 * 10 * 10);
        assertThat(convNet(64).cost(64, 1024)).isEqualTo(conv64 + dense64);
        // a layer whose positions are not known counts as one position
        assertThat(ProbeWorkload.builder(4).conv(2, 3, 0).build().cost(4, 1024))
                .isEqualTo(ProbeWorkload.builder(4).dense(2, 3).build().cost(4, 1024));
    }

    @Test
    void aRecurrentCellCostsEveryStepOfItsSequencesAndAPlanOverLongSequencesGivesSequencesUp() {
        // an LSTM of 128 units on 3 channels: W = [W_x W_h] is (4·128) × (3 + 128), 64 sequences of 100 steps
        int m = 512;
        int n = 131;
        double products = 3.0 * 64 * 100 * m * n;
        double moments = 1024 * (n + (double) n * n + 2.0 * m * m); // 6400 rows, at most 1024 of them kept
        ProbeWorkload lstm = ProbeWorkload.builder(64).sequence(m, n, 100).build();
        assertThat(lstm.cost(64, 1024)).isEqualTo(products + moments);
        // the same cell read as a dense layer (one row per sequence) would fit half a second at 1 GMAC/s whole
        ProbeAllowance halfSecond = new ProbeAllowance(Duration.ofMillis(500), 1e9, System.nanoTime(), Duration.ofHours(1));
        assertThat(halfSecond.plan(ProbeWorkload.builder(64).dense(m, n).build()).status()).isEqualTo(ProbePlan.Status.WHOLE);
        ProbePlan plan = halfSecond.plan(lstm);
        assertThat(plan.status()).isEqualTo(ProbePlan.Status.REDUCED);
        assertThat(plan.samples()).isLessThan(64);
        assertThat(plan.multiplyAdds()).isLessThanOrEqualTo(0.5e9);
    }

    @Test
    void aPassThatFitsIsPlannedWhole() {
        ProbeWorkload w = convNet(64);
        ProbePlan plan = allowance(w.cost(64, 1024) * 1.01).plan(w);
        assertThat(plan.status()).isEqualTo(ProbePlan.Status.WHOLE);
        assertThat(plan.samples()).isEqualTo(64);
        assertThat(plan.maxRows()).isEqualTo(ProbePositions.MAX_ROWS);
        assertThat(plan.positions(64, 0)).hasSize(16);
        assertThat(plan.estimatedNanos()).isEqualTo((long) (plan.multiplyAdds() / THROUGHPUT * 1e9));
    }

    @Test
    void positionsGoFirstThenSamplesAndEachPlanIsTheLargestThatFits() {
        ProbeWorkload w = convNet(64);
        double whole = w.cost(64, 1024);
        for (double share : new double[] {0.95, 0.8, 0.75, 0.5, 0.2, 0.1, 0.05}) {
            double budget = whole * share;
            ProbePlan plan = allowance(budget).plan(w);
            assertThat(plan.multiplyAdds()).as("share %s", share).isLessThanOrEqualTo(budget)
                    .isEqualTo(w.cost(plan.samples(), plan.maxRows()));
            assertThat(plan.status()).isEqualTo(ProbePlan.Status.REDUCED);
            // brute force: no plan with more samples fits, nor one with as many samples and more rows
            for (int b = plan.samples() + 1; b <= 64; b++) {
                assertThat(w.cost(b, b)).as("%d samples at share %s", b, share).isGreaterThan(budget);
            }
            assertThat(plan.maxRows() == 1024 || w.cost(plan.samples(), plan.maxRows() + 1) > budget).isTrue();
            if (plan.samples() < 64) {
                // samples are given up only when one position per sample no longer fits
                assertThat(w.cost(64, 64)).isGreaterThan(budget);
            }
        }
        // the layer's own pass is 3·64·64·32·144 ≈ 57 M of the whole 80 M: positions can save the rest
        assertThat(allowance(whole * 0.8).plan(w).samples()).isEqualTo(64);
        assertThat(allowance(whole * 0.8).plan(w).maxRows()).isLessThan(1024);
        assertThat(allowance(whole * 0.2).plan(w).samples()).isLessThan(64);
    }

    @Test
    void aPassThatDoesNotFitWithTheFewestSamplesIsSkipped() {
        ProbeWorkload w = convNet(64);
        int min = ProbeAllowance.MIN_SAMPLES;
        ProbePlan fits = allowance(w.cost(min, min)).plan(w);
        assertThat(fits.skipped()).isFalse();
        assertThat(fits.samples()).isEqualTo(min);
        ProbePlan skipped = allowance(w.cost(min, min) * 0.99).plan(w);
        assertThat(skipped.skipped()).isTrue();
        assertThat(skipped.samples()).isZero();
        assertThat(skipped.multiplyAdds()).isEqualTo(w.cost(min, min));
        // a batch smaller than the minimum is its own minimum
        ProbeWorkload two = convNet(2);
        assertThat(allowance(two.cost(2, 2)).plan(two).samples()).isEqualTo(2);
    }

    @Test
    void reducedPositionsAreASubsetOfTheWholePlansPositions() {
        int[] whole = ProbePositions.forLayer(400, 8, 3, 1024);
        int[] fewer = ProbePositions.forLayer(400, 8, 3, 200);
        assertThat(whole).hasSize(128).contains(fewer);
        assertThat(fewer).hasSize(25);
    }

    @Test
    void theThroughputStartsAtThePriorMovesHalfWayInLogarithmAndNeverGoesBelowTheFloor() {
        ProbeThroughput t = new ProbeThroughput();
        assertThat(t.estimate()).isCloseTo(ProbeThroughput.PRIOR, within(1.0));
        t.record(4e9, 1_000_000_000L); // 4 GMAC/s: the first pass replaces the prior
        assertThat(t.estimate()).isCloseTo(4e9, within(1.0));
        t.record(16e9, 1_000_000_000L); // 16 GMAC/s: half way in logarithm, the geometric mean
        assertThat(t.estimate()).isCloseTo(8e9, within(1e3));
        t.record(1e3, 1_000_000_000L); // a pass of per-operation overhead: counted as the floor
        assertThat(t.estimate()).isCloseTo(Math.sqrt(8e9 * ProbeThroughput.FLOOR), within(1e3));
        t.record(0, 5);
        t.record(5, 0);
        assertThat(t.passes()).isEqualTo(3);
    }

    @Test
    void aPeriodicPassStopsAfterTwiceItsAllowanceOrHalfASecondMoreWhicheverIsLater() {
        assertThat(ProbeAllowance.startingNow(Duration.ofMillis(200), 1e9).stopAfter()).isEqualTo(Duration.ofMillis(700));
        assertThat(ProbeAllowance.startingNow(Duration.ofSeconds(2), 1e9).stopAfter()).isEqualTo(Duration.ofSeconds(4));
        ProbeAllowance spent = new ProbeAllowance(Duration.ofMillis(1), 1e9, System.nanoTime() - 10_000_000L,
                Duration.ofMillis(5));
        assertThat(spent.exhausted()).isTrue();
        // a pass whose arithmetic fits the allowance even at the slowest throughput is never stopped
        assertThat(spent.exhausted(new ProbePlan(8, 1024, 1e6, 0, ProbePlan.Status.WHOLE))).isFalse();
        assertThat(spent.exhausted(new ProbePlan(8, 1024, 2e6, 0, ProbePlan.Status.WHOLE))).isTrue();
        assertThat(ProbeAllowance.startingNow(Duration.ofSeconds(1), 1e9, Duration.ofHours(1)).exhausted()).isFalse();
    }

    private static final double THROUGHPUT = 1e9;

    /** An allowance whose budget is {@code multiplyAdds} at {@link #THROUGHPUT}. */
    private static ProbeAllowance allowance(double multiplyAdds) {
        return ProbeAllowance.startingNow(Duration.ofNanos((long) Math.ceil(multiplyAdds / THROUGHPUT * 1e9)), THROUGHPUT);
    }
}
