package dev.noether.core.physics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.noether.core.physics.NeuronCorrelation.AverageLinkage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class NeuronCorrelationTest {

    private static final List<BiFunction<double[], Integer, AverageLinkage>> ALGORITHMS =
            List.of(AverageLinkage::greedy, AverageLinkage::nearestNeighbourChain);

    @Test
    void fourPointsMergeAsDerivedByHand() {
        // d(1,3) = 0.1 is the closest pair -> node 4 = {1,3} at 0.1.
        // d(4,0) = (0.3 + 0.5)/2 = 0.4, d(4,2) = (0.9 + 0.7)/2 = 0.8, d(0,2) = 0.6 -> node 5 = {0} ∪ 4 at 0.4.
        // d(5,2) = (0.6 + 0.9 + 0.7)/3 = 0.7333… -> root = {2} ∪ 5.
        // Leaves, smaller id first: root -> 2, 5 -> 2, 0, 4 -> 2, 0, 1, 3.
        double[] distance = {
            0.0, 0.3, 0.6, 0.5,
            0.3, 0.0, 0.9, 0.1,
            0.6, 0.9, 0.0, 0.7,
            0.5, 0.1, 0.7, 0.0};
        for (BiFunction<double[], Integer, AverageLinkage> algorithm : ALGORITHMS) {
            AverageLinkage tree = algorithm.apply(distance, 4);
            assertThat(tree.left).containsExactly(1, 0, 2);
            assertThat(tree.right).containsExactly(3, 4, 5);
            assertThat(tree.height[0]).isCloseTo(0.1, offset(1e-15));
            assertThat(tree.height[1]).isCloseTo(0.4, offset(1e-15));
            assertThat(tree.height[2]).isCloseTo(2.2 / 3, offset(1e-15));
            assertThat(tree.leafOrder()).containsExactly(2, 0, 1, 3);
        }
    }

    @Test
    void eightPointsMatchScipy() {
        // scipy 1.17: linkage(squareform(D), 'average') and leaves_list; D has no tied distances.
        double[] distance = {
            0.000, 0.263, 0.771, 0.574, 0.135, 0.440, 0.481, 0.194,
            0.263, 0.000, 0.402, 0.515, 0.438, 0.578, 0.714, 0.911,
            0.771, 0.402, 0.000, 0.313, 0.051, 0.926, 0.319, 0.333,
            0.574, 0.515, 0.313, 0.000, 0.077, 0.686, 0.387, 0.132,
            0.135, 0.438, 0.051, 0.077, 0.000, 0.718, 0.700, 0.247,
            0.440, 0.578, 0.926, 0.686, 0.718, 0.000, 0.841, 0.142,
            0.481, 0.714, 0.319, 0.387, 0.700, 0.841, 0.000, 0.298,
            0.194, 0.911, 0.333, 0.132, 0.247, 0.142, 0.298, 0.000};
        for (BiFunction<double[], Integer, AverageLinkage> algorithm : ALGORITHMS) {
            AverageLinkage tree = algorithm.apply(distance, 8);
            assertThat(tree.left).containsExactly(2, 3, 8, 0, 6, 5, 12);
            assertThat(tree.right).containsExactly(4, 7, 9, 1, 10, 11, 13);
            assertThat(tree.height).containsExactly(
                    new double[] {0.051, 0.132, 0.2425, 0.263, 0.426, 0.509, 0.5632}, offset(1e-12));
            assertThat(tree.leafOrder()).containsExactly(6, 2, 4, 3, 7, 5, 0, 1);
        }
    }

    @Test
    void everyHeightIsTheMeanDistanceBetweenTheMergedClusters() {
        for (int d : new int[] {80, 600}) {
            double[] distance = randomDistances(d, d);
            for (BiFunction<double[], Integer, AverageLinkage> algorithm : ALGORITHMS) {
                AverageLinkage tree = algorithm.apply(distance, d);
                List<List<Integer>> members = members(tree, d);
                for (int t = 0; t < d - 1; t++) {
                    double sum = 0;
                    List<Integer> a = members.get(tree.left[t]);
                    List<Integer> b = members.get(tree.right[t]);
                    for (int i : a) {
                        for (int j : b) {
                            sum += distance[i * d + j];
                        }
                    }
                    assertThat(tree.height[t]).isCloseTo(sum / (a.size() * b.size()), offset(1e-12));
                    assertThat(tree.left[t]).isLessThan(tree.right[t]);
                    if (t > 0) {
                        assertThat(tree.height[t]).isGreaterThanOrEqualTo(tree.height[t - 1]);
                    }
                }
            }
        }
    }

    @Test
    void greedyAndChainBuildTheSameTree() {
        for (int d : new int[] {80, 600}) {
            double[] distance = randomDistances(d, 31L * d);
            AverageLinkage greedy = AverageLinkage.greedy(distance, d);
            AverageLinkage chain = AverageLinkage.nearestNeighbourChain(distance, d);
            assertThat(chain.left).isEqualTo(greedy.left);
            assertThat(chain.right).isEqualTo(greedy.right);
            assertThat(chain.height).containsExactly(greedy.height, offset(1e-12));
            assertThat(chain.leafOrder()).isEqualTo(greedy.leafOrder());
        }
    }

    @Test
    void tinyInputs() {
        for (BiFunction<double[], Integer, AverageLinkage> algorithm : ALGORITHMS) {
            assertThat(algorithm.apply(new double[0], 0).leafOrder()).isEmpty();
            assertThat(algorithm.apply(new double[] {0}, 1).leafOrder()).containsExactly(0);
            assertThat(algorithm.apply(new double[] {0, 0.5, 0.5, 0}, 2).leafOrder()).containsExactly(0, 1);
        }
    }

    @Test
    void accessorsDoNotExposeInternalArrays() {
        NeuronCorrelation result = new NeuronCorrelation(0, 0, 0.2, new int[] {3, 5}, new double[] {1, 0.2, 0.2, 1});
        result.keptNeurons()[0] = 99;
        result.correlationMatrix()[1] = 99;
        result.order()[0] = 99;
        assertThat(result.keptNeurons()).containsExactly(3, 5);
        assertThat(result.correlation(0, 1)).isEqualTo(0.2);
        assertThat(result.order()).containsExactly(0, 1);
    }

    /** Symmetric matrix of independent uniform distances in (0, 1), zero diagonal. */
    private static double[] randomDistances(int d, long seed) {
        Random random = new Random(seed);
        double[] distance = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                double x = random.nextDouble();
                distance[i * d + j] = x;
                distance[j * d + i] = x;
            }
        }
        return distance;
    }

    /** Points under every node id, from the linkage rows. */
    private static List<List<Integer>> members(AverageLinkage tree, int d) {
        List<List<Integer>> members = new ArrayList<>();
        for (int i = 0; i < d; i++) {
            members.add(List.of(i));
        }
        for (int t = 0; t < d - 1; t++) {
            List<Integer> merged = new ArrayList<>(members.get(tree.left[t]));
            merged.addAll(members.get(tree.right[t]));
            members.add(merged);
        }
        return members;
    }
}
