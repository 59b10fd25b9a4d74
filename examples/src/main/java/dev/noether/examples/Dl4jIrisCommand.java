package dev.noether.examples;

import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code dl4j-iris}: a softmax classifier on Fisher's Iris data, read from the {@code iris.dat} that the
 * deeplearning4j-core jar ships (real data, no download). {@code --samples} does not apply (150 rows).
 */
@Command(name = "dl4j-iris", mixinStandardHelpOptions = true,
        description = "Train a DL4J classifier on the Iris data shipped inside the DL4J jar, with live metrics.")
final class Dl4jIrisCommand implements Callable<Integer> {
    static final int FEATURES = 4;
    static final int CLASSES = 3;

    @Mixin
    TrainingOptions options = new TrainingOptions();

    @Override
    public Integer call() throws Exception {
        options.samples = 150;
        if (options.batch > 150) {
            options.batch = 150;
        }
        try {
            options.validate();
        } catch (IllegalArgumentException e) {
            System.err.println("dl4j-iris: " + e.getMessage());
            return 2;
        }
        DataSet iris = load();
        iris.normalizeZeroMeanZeroUnitVariance();
        try (DemoSession session = new DemoSession(options, System.out)) {
            Dl4jTraining.run(options, session, Dl4jNetworks.mlp(options, FEATURES, CLASSES, Activation.SOFTMAX,
                    LossFunctions.LossFunction.MCXENT), iris);
            session.finish();
        }
        return 0;
    }

    /** The 150 rows of iris.dat: four measurements and the class 0, 1 or 2, one-hot encoded. */
    static DataSet load() throws IOException {
        List<float[]> rows = new ArrayList<>();
        try (InputStream in = Dl4jIrisCommand.class.getResourceAsStream("/iris.dat")) {
            if (in == null) {
                throw new IOException("iris.dat is not on the classpath; it ships in deeplearning4j-core");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.trim().split(",");
                float[] row = new float[FEATURES + 1];
                for (int i = 0; i <= FEATURES; i++) {
                    row[i] = Float.parseFloat(f[i]);
                }
                rows.add(row);
            }
        }
        float[] x = new float[rows.size() * FEATURES];
        float[] y = new float[rows.size() * CLASSES];
        for (int s = 0; s < rows.size(); s++) {
            System.arraycopy(rows.get(s), 0, x, s * FEATURES, FEATURES);
            y[s * CLASSES + (int) rows.get(s)[FEATURES]] = 1;
        }
        return new DataSet(Nd4j.create(x, new long[] {rows.size(), FEATURES}, 'c'),
                Nd4j.create(y, new long[] {rows.size(), CLASSES}, 'c'));
    }
}
