package dev.noether.dl4j;

import dev.noether.core.model.NetworkDescription;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.misc.ElementWiseMultiplicationLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import static org.assertj.core.api.Assertions.assertThat;

/** DL4J layers and activations as core's chain (METRICS.md §1), checked against hand-derived summaries. */
class Dl4jNetworkMapperTest {

    @Test
    void activationsOnTheLayerAndTheOutputLayerFollowTheirDenseLayer() {
        NetworkDescription d = describe(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().name("fc1").nIn(4).nOut(8).activation(Activation.LEAKYRELU).build())
                .layer(new DropoutLayer.Builder(0.5).name("drop").build())
                .layer(new DenseLayer.Builder().name("fc2").nIn(8).nOut(6).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("out").nIn(6).nOut(3)
                        .activation(Activation.SOFTMAX).build()));
        assertThat(d.summary()).isEqualTo("m: 3 dense layers [fc1[8x4+b, LEAKY_RELU], fc2[6x8+b, RELU], "
                + "out[3x6+b, SOFTMAX]]; pairs [fc1:fc2(rescaling), fc2:out(rescaling)]");
    }

    @Test
    void batchNormMakesTheLayerBeforeScaleInvariantAndTanhBreaksThePair() {
        NetworkDescription d = describe(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().name("fc1").nIn(4).nOut(8).activation(Activation.RELU).build())
                .layer(new BatchNormalization.Builder().name("bn").nOut(8).build())
                .layer(new DenseLayer.Builder().name("fc2").nIn(8).nOut(6).hasBias(false).activation(Activation.IDENTITY).build())
                .layer(new ActivationLayer.Builder().name("act").activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).name("out").nIn(6).nOut(2)
                        .activation(Activation.IDENTITY).build()));
        assertThat(d.summary()).isEqualTo("m: 3 dense layers [fc1[8x4+b, RELU, BATCH_NORM], fc2[6x8, TANH], "
                + "out[2x6+b, IDENTITY]]; pairs []; scale-invariant [fc1]");
    }

    @Test
    void unknownLayersAreNamedAndCutTheChain() {
        NetworkDescription d = describe(new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().name("fc1").nIn(4).nOut(8).activation(Activation.RELU).build())
                .layer(new ElementWiseMultiplicationLayer.Builder().name("scale").nIn(8).nOut(8).activation(Activation.IDENTITY).build())
                .layer(new DenseLayer.Builder().name("fc2").nIn(8).nOut(8).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().name("ln").nIn(8).nOut(8).hasLayerNorm(true).activation(Activation.RELU).build())
                .layer(new DenseLayer.Builder().nIn(8).nOut(8).activation(Activation.IDENTITY).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(8).nOut(2).build()));
        // the layer-normed layer's W is still measured, as a weight-only layer after the graph's (METRICS.md §12)
        assertThat(d.layers()).extracting(l -> l.name()).containsExactly("fc1", "fc2", "layer4", "layer5", "ln");
        assertThat(d.layers().get(4).kind()).isEqualTo(dev.noether.core.model.LayerKind.OTHER);
        assertThat(d.pairs()).extracting(p -> p.toString()).containsExactly("layer4:layer5(rescaling)");
        assertThat(d.unsupported()).extracting(u -> u.toString()).containsExactly(
                "scale (ElementWiseMultiplicationLayer is not modelled)",
                "ln (DenseLayer with layer normalization; weight metrics only for ln)");
    }

    @Test
    void onlyHomogeneousReluVariantsKeepTheirSymmetry() {
        assertThat(ActivationMapping.of(new ActivationReLU())).hasToString("RELU");
        assertThat(ActivationMapping.of(new ActivationReLU(null, 0.0, 0.1))).hasToString("LEAKY_RELU");
        assertThat(ActivationMapping.of(new ActivationReLU(6.0, 0.0, 0.0))).hasToString("OTHER");
        assertThat(ActivationMapping.of(new ActivationReLU(null, 0.5, 0.0))).hasToString("OTHER");
        assertThat(ActivationMapping.of(Activation.RRELU.getActivationFunction())).hasToString("LEAKY_RELU");
        assertThat(ActivationMapping.of(Activation.GELU.getActivationFunction())).hasToString("GELU");
        assertThat(ActivationMapping.of(Activation.SIGMOID.getActivationFunction())).hasToString("SIGMOID");
        assertThat(ActivationMapping.of(Activation.RELU6.getActivationFunction())).hasToString("OTHER");
        assertThat(ActivationMapping.of(Activation.IDENTITY.getActivationFunction())).hasToString("IDENTITY");
    }

    private static NetworkDescription describe(NeuralNetConfiguration.ListBuilder list) {
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return Dl4jNetworkMapper.map(net, "m").description();
    }
}
