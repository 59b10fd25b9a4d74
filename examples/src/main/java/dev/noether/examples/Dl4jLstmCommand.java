package dev.noether.examples;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * {@code dl4j-lstm}: an LSTM with an RnnOutputLayer on a generated sequence task (METRICS.md §12): from x_t ~ N(0, 1)
 * of 3 channels, predict the running mean of channel 0 (memory) and x_{t−1} of channel 1 (a delay), with each
 * sequence cut at a random length (masked steps). Noether reads the LSTM as a recurrent layer over (sequence, step)
 * samples: its layer metrics, unit census, correlation blocks and CRH/PAH/FDT (empirical for a recurrent layer), and
 * the output layer as a dense layer over the same samples. {@code --width} is the LSTM's units; {@code --depth},
 * {@code --norm} and {@code --activation} do not apply. Its own defaults make a run that ends by itself in a minute or
 * two on a busy 2-core machine: DL4J runs an LSTM one time step at a time, about 10 steps/s at these sizes
 * ({@code Dl4jRecurrentBench}), Noether's share of that within its budget.
 */
@Command(name = "dl4j-lstm", mixinStandardHelpOptions = true,
        description = "Train a DL4J LSTM on a generated sequence task and print what Noether sees of it.")
final class Dl4jLstmCommand implements Callable<Integer> {
    static final int FEATURES = 3;

    @Mixin
    TrainingOptions options = lstmDefaults();

    @Option(names = "--length", description = "Time steps per sequence (default: ${DEFAULT-VALUE}).")
    int length = 20;

    /** The shared flags with this demo's defaults: 600 steps over 1024 sequences, 32 units. */
    private static TrainingOptions lstmDefaults() {
        TrainingOptions o = new TrainingOptions();
        o.steps = 600;
        o.samples = 1024;
        o.width = 32;
        return o;
    }

    @Override
    public Integer call() throws Exception {
        if (!options.isValid("dl4j-lstm") || length < 2) {
            return 2;
        }
        DataSet data = sequences(options.samples, length, options.seed);
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(options.seed)
                .updater(Dl4jNetworks.updater(options)).l2(options.weightDecay).l2Bias(options.weightDecay)
                .weightInit(WeightInit.XAVIER).list()
                .layer(new LSTM.Builder().name("lstm").nIn(FEATURES).nOut(options.width).activation(Activation.TANH).build())
                .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(options.width).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        try (DemoSession session = new DemoSession(options, System.out)) {
            Dl4jTraining.run(options, session, net, data);
            printWhatNoetherSees(session.registry(), System.out);
            session.finish();
        }
        return 0;
    }

    /** One line per layer: kind, shape, weight norm, update ratio, ranks, units, CRH phase and PAH exponents. */
    static void printWhatNoetherSees(MeterRegistry r, PrintStream out) {
        out.println("What Noether sees:");
        for (Gauge info : r.find("noether.layer.info").gauges()) {
            String layer = info.getId().getTag("layer");
            out.printf(Locale.ROOT, "  %-6s %-5s %-7s |W| %s  update %s  eff.rank %s  stable %s  units dead %s distinct %s"
                            + "  phase %s  pah a %s b %s  fdt %s%n",
                    layer, info.getId().getTag("kind"), info.getId().getTag("shape"),
                    fmt(r, "noether.layer.weight.norm", layer), fmt(r, "noether.layer.update.ratio", layer),
                    fmt(r, "noether.layer.effective.rank", layer), fmt(r, "noether.layer.stable.rank", layer),
                    fmt(r, "noether.neurons.dead", layer), fmt(r, "noether.neurons.distinct", layer),
                    phase(r, layer), side(r, "noether.pah.exponent", layer, "a"), side(r, "noether.pah.exponent", layer, "b"),
                    side(r, "noether.fdt.residual", layer, "b"));
        }
    }

    private static String fmt(MeterRegistry r, String name, String layer) {
        Gauge g = r.find(name).tag("layer", layer).gauge();
        return g == null || Double.isNaN(g.value()) ? "-" : String.format(Locale.ROOT, "%.3g", g.value());
    }

    private static String side(MeterRegistry r, String name, String layer, String side) {
        Gauge g = r.find(name).tag("layer", layer).tag("side", side).gauge();
        return g == null || Double.isNaN(g.value()) ? "-" : String.format(Locale.ROOT, "%.3g", g.value());
    }

    private static String phase(MeterRegistry r, String layer) {
        for (Gauge g : r.find("noether.crh.phase").tag("layer", layer).gauges()) {
            if (g.value() == 1) {
                return g.getId().getTag("phase");
            }
        }
        return "-";
    }

    /** The task: (sequences, 3, length) inputs, (sequences, 2, length) targets, masks cutting at ≥ half the length. */
    static DataSet sequences(int count, int length, long seed) {
        Random r = new Random(seed);
        float[] x = new float[count * FEATURES * length];
        float[] y = new float[count * 2 * length];
        float[] mask = new float[count * length];
        for (int s = 0; s < count; s++) {
            int cut = length / 2 + r.nextInt(length - length / 2 + 1);
            double sum = 0;
            for (int t = 0; t < length; t++) {
                for (int f = 0; f < FEATURES; f++) {
                    x[(s * FEATURES + f) * length + t] = (float) r.nextGaussian();
                }
                sum += x[(s * FEATURES) * length + t];
                y[(s * 2) * length + t] = (float) (sum / (t + 1));
                y[(s * 2 + 1) * length + t] = t == 0 ? 0 : x[(s * FEATURES + 1) * length + t - 1];
                mask[s * length + t] = t < cut ? 1 : 0;
            }
        }
        return new DataSet(Nd4j.create(x, new long[] {count, FEATURES, length}),
                Nd4j.create(y, new long[] {count, 2, length}),
                Nd4j.create(mask, new long[] {count, length}), Nd4j.create(mask, new long[] {count, length}));
    }
}
