package dev.noether.dl4j.distributed;

import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.dataset.DataSet;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A ParallelWrapper training program with no Noether code, for the agent: 2 replicas, AVERAGING, {@code args[0]}
 * fits of 40 minibatches. After each fit it prints {@code FIT <n> threads=<Noether monitor threads>} and waits for a
 * line on standard input.
 */
public final class ParallelWrapperProgram {
    private ParallelWrapperProgram() {}

    public static void main(String[] args) throws Exception {
        int fits = Integer.parseInt(args[0]);
        List<DataSet> examples = SmallMlp.examples(16 * 40);
        MultiLayerNetwork net = SmallMlp.network();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (ParallelWrapper wrapper = new ParallelWrapper.Builder<>(net).workers(2).prefetchBuffer(2)
                .averagingFrequency(2).reportScoreAfterAveraging(false)
                .trainingMode(ParallelWrapper.TrainingMode.AVERAGING).build()) {
            for (int fit = 1; fit <= fits; fit++) {
                wrapper.fit(new ListDataSetIterator<>(examples, 16));
                System.out.println("FIT " + fit + " threads=" + NoetherMeters.threads());
                System.out.flush();
                if (in.readLine() == null) break;
            }
        }
    }
}
