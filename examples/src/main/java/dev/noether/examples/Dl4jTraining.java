package dev.noether.examples;

import dev.noether.dl4j.NoetherListener;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

import java.util.List;

/** The training loop both DL4J subcommands share: minibatches in a fixed shuffled order, one fit per step. */
final class Dl4jTraining {
    private Dl4jTraining() {}

    static void run(TrainingOptions options, DemoSession session, MultiLayerNetwork net, DataSet data) {
        try (NoetherListener noether = NoetherListener.builder()
                .registry(session.registry())
                .config(options.noetherConfig())
                .addListener(session.reportListener())
                .build()) {
            net.addListeners(noether);
            data.shuffle(options.seed);
            List<DataSet> batches = data.batchBy(options.batch);
            if (batches.size() > 1 && batches.get(batches.size() - 1).numExamples() < options.batch) {
                batches = batches.subList(0, batches.size() - 1); // equal batches: the charge identity assumes it
            }
            long step = 0;
            for (; session.keepTraining(step); step++) {
                net.fit(batches.get((int) (step % batches.size())));
                session.progress(step);
            }
            session.trained(step);
        } // closing the listener analyses the final state

    }
}
