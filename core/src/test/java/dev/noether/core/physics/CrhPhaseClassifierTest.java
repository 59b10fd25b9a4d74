package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CrhPhaseClassifierTest {

    private static final String[] RELATIONS = {"rga", "rwa", "gwa"};

    @Test
    void truthTableOverAllSixtyFourCombinations() {
        Random random = new Random(17);
        for (int draw = 0; draw < 20; draw++) {
            for (int mask = 0; mask < 64; mask++) {
                boolean[] holdsA = new boolean[3];
                boolean[] holdsB = new boolean[3];
                double[] alphaA = new double[3];
                double[] alphaB = new double[3];
                for (int r = 0; r < 3; r++) {
                    holdsA[r] = (mask & (1 << r)) != 0;
                    holdsB[r] = (mask & (1 << (r + 3))) != 0;
                    alphaA[r] = holdsA[r] ? 0.7 + 0.3 * random.nextDouble() : 0.7 * random.nextDouble();
                    alphaB[r] = holdsB[r] ? 0.7 + 0.3 * random.nextDouble() : 0.7 * random.nextDouble();
                }
                String expected = expectedTag(holdsA, holdsB, alphaA, alphaB);
                assertThat(CrhPhaseClassifier.phaseOf(holdsA, holdsB, alphaA, alphaB).tag())
                        .as("mask %d draw %d", mask, draw).isEqualTo(expected);
                // The same through classify on a fresh classifier (no history, so no hysteresis).
                CrhAlignments alignments = new CrhAlignments(alphaA, alphaB, new double[3], new double[3]);
                assertThat(new CrhPhaseClassifier().classify(alignments).tag())
                        .as("classify mask %d draw %d", mask, draw).isEqualTo(expected);
            }
        }
    }

    @Test
    void largestSumWinsAndTiesGoToTheLowerPhaseNumber() {
        boolean[] rgaRwa = {true, true, false};
        boolean[] rgaOnly = {true, false, false};
        // (rga, rga) = phase 1 against (rwa, rga) = phase 5.
        assertThat(CrhPhaseClassifier.phaseOf(rgaRwa, rgaOnly, new double[] {0.8, 0.9, 0}, new double[] {0.75, 0, 0}))
                .isEqualTo(CrhPhase.P5);
        assertThat(CrhPhaseClassifier.phaseOf(rgaRwa, rgaOnly, new double[] {0.9, 0.8, 0}, new double[] {0.75, 0, 0}))
                .isEqualTo(CrhPhase.P1);
        assertThat(CrhPhaseClassifier.phaseOf(rgaRwa, rgaOnly, new double[] {0.8, 0.8, 0}, new double[] {0.75, 0, 0}))
                .isEqualTo(CrhPhase.P1);
        // Two on each side: pairs 2 (rwa, rwa), 8 (rwa, gwa), 9 (gwa, rwa), 3 (gwa, gwa).
        boolean[] rwaGwa = {false, true, true};
        assertThat(CrhPhaseClassifier.phaseOf(rwaGwa, rwaGwa, new double[] {0, 0.8, 0.9}, new double[] {0, 0.8, 0.9}))
                .isEqualTo(CrhPhase.P3);
        assertThat(CrhPhaseClassifier.phaseOf(rwaGwa, rwaGwa, new double[] {0, 0.85, 0.8}, new double[] {0, 0.8, 0.85}))
                .isEqualTo(CrhPhase.P8);
        assertThat(CrhPhaseClassifier.phaseOf(rwaGwa, rwaGwa, new double[] {0, 0.8, 0.85}, new double[] {0, 0.85, 0.8}))
                .isEqualTo(CrhPhase.P9);
        // A four-way tie goes to phase 2.
        assertThat(CrhPhaseClassifier.phaseOf(rwaGwa, rwaGwa, new double[] {0, 0.8, 0.8}, new double[] {0, 0.8, 0.8}))
                .isEqualTo(CrhPhase.P2);
    }

    @Test
    void hysteresisKeepsARelationUntilItFallsBelowTauMinusHysteresis() {
        CrhPhaseClassifier classifier = new CrhPhaseClassifier(0.7, 0.05);
        // Side b holds rga throughout; side a's rga decides between phase 1 and none.
        assertThat(classifier.classify(sideARga(0.72))).isEqualTo(CrhPhase.P1);
        assertThat(classifier.classify(sideARga(0.67))).isEqualTo(CrhPhase.P1); // stays
        assertThat(classifier.classify(sideARga(0.64))).isEqualTo(CrhPhase.NONE); // drops
        assertThat(classifier.classify(sideARga(0.68))).isEqualTo(CrhPhase.NONE); // no re-entry
        assertThat(classifier.classify(sideARga(0.70))).isEqualTo(CrhPhase.P1); // re-enters at τ
    }

    @Test
    void hysteresisIsTrackedPerSideAndRelation() {
        CrhPhaseClassifier classifier = new CrhPhaseClassifier();
        // Side a rga and side b rga hold; side a rwa has never held, so 0.68 does not count for it.
        classifier.classify(new CrhAlignments(new double[] {0.9, 0.1, 0.1}, new double[] {0.9, 0.1, 0.1},
                new double[3], new double[3]));
        CrhPhase phase = classifier.classify(new CrhAlignments(new double[] {0.5, 0.68, 0.1},
                new double[] {0.68, 0.1, 0.1}, new double[3], new double[3]));
        assertThat(phase).isEqualTo(CrhPhase.NONE);
    }

    @Test
    void nanNeverHolds() {
        CrhPhaseClassifier classifier = new CrhPhaseClassifier();
        assertThat(classifier.classify(sideARga(0.9))).isEqualTo(CrhPhase.P1);
        assertThat(classifier.classify(sideARga(Double.NaN))).isEqualTo(CrhPhase.NONE);
        double[] nan = {Double.NaN, Double.NaN, Double.NaN};
        assertThat(new CrhPhaseClassifier().classify(new CrhAlignments(nan, nan, nan, nan)))
                .isEqualTo(CrhPhase.NONE);
    }

    private static CrhAlignments sideARga(double alpha) {
        return new CrhAlignments(new double[] {alpha, 0.1, 0.2}, new double[] {0.9, 0.2, 0.1},
                new double[3], new double[3]);
    }

    /** The spec table written out plainly, independent of CrhPhase's own pair table. */
    private static String expectedTag(boolean[] holdsA, boolean[] holdsB, double[] alphaA, double[] alphaB) {
        boolean allA = holdsA[0] && holdsA[1] && holdsA[2];
        boolean allB = holdsB[0] && holdsB[1] && holdsB[2];
        if (allA && allB) {
            return "crh";
        }
        if (allA) {
            return "backward_crh";
        }
        if (allB) {
            return "forward_crh";
        }
        String best = "none";
        double bestSum = -1;
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                if (!holdsA[a] || !holdsB[b]) {
                    continue;
                }
                String phase;
                switch (RELATIONS[a] + "/" + RELATIONS[b]) {
                    case "rga/rga": phase = "1"; break;
                    case "rwa/rwa": phase = "2"; break;
                    case "gwa/gwa": phase = "3"; break;
                    case "rga/rwa": phase = "4"; break;
                    case "rwa/rga": phase = "5"; break;
                    case "rga/gwa": phase = "6"; break;
                    case "gwa/rga": phase = "7"; break;
                    case "rwa/gwa": phase = "8"; break;
                    case "gwa/rwa": phase = "9"; break;
                    default: throw new AssertionError();
                }
                double sum = alphaA[a] + alphaB[b];
                if (sum > bestSum) {
                    bestSum = sum;
                    best = phase;
                }
            }
        }
        return best;
    }
}
