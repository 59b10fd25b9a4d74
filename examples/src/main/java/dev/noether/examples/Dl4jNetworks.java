package dev.noether.examples;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The DL4J MLPs of the demo, built from the shared flags. */
final class Dl4jNetworks {
    private Dl4jNetworks() {}

    /**
     * {@code --depth} dense layers of {@code --width} with {@code --activation}, then an output layer. L2
     * regularization γ on weights and biases enters the gradient before the updater, so with {@code Sgd} the
     * update is θ ← θ − η(ĝ + γθ), the same rule as DJL's weight decay.
     */
    static MultiLayerNetwork mlp(TrainingOptions o, int inputs, int outputs, Activation outputActivation,
                                 LossFunctions.LossFunction loss) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder()
                .seed(o.seed)
                .updater(updater(o))
                .l2(o.weightDecay)
                .l2Bias(o.weightDecay)
                .weightInit(WeightInit.XAVIER)
                .list();
        int in = inputs;
        for (int i = 0; i < o.depth; i++) {
            if (o.normalizes(i) && o.norm == TrainingOptions.Norm.batch) {
                // linear map, batch norm, then the activation: DL4J needs them as three layers
                list.layer(new DenseLayer.Builder().nIn(in).nOut(o.width).activation(Activation.IDENTITY).build());
                list.layer(new BatchNormalization.Builder().nOut(o.width).build());
                list.layer(new ActivationLayer.Builder().activation(activation(o)).build());
            } else {
                list.layer(new DenseLayer.Builder().nIn(in).nOut(o.width).activation(activation(o))
                        .hasLayerNorm(o.normalizes(i)).build());
            }
            in = o.width;
        }
        list.layer(new OutputLayer.Builder(loss).nIn(in).nOut(outputs).activation(outputActivation).build());
        MultiLayerConfiguration conf = list.build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static IUpdater updater(TrainingOptions o) {
        return switch (o.optimizer) {
            case sgd -> new Sgd(o.lr);
            case momentum -> new Nesterovs(o.lr, 0.9);
            case adam -> new Adam(o.lr);
        };
    }

    private static Activation activation(TrainingOptions o) {
        return switch (o.activation) {
            case relu -> Activation.RELU;
            case tanh -> Activation.TANH;
            case identity -> Activation.IDENTITY;
        };
    }
}
