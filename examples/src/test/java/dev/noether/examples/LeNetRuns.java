package dev.noether.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.noether.core.runtime.NoetherMonitor;
import io.micrometer.core.instrument.MeterRegistry;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.time.Duration;
import java.util.Random;

/**
 * The same LeNet trained briefly on each engine, on the same generated 1×28×28 images of 10 classes:
 * conv(6, 5×5, pad 2)-ReLU-maxpool 2, conv(16, 5×5)-ReLU-maxpool 2, flatten, dense(120)-ReLU, dense(10),
 * softmax cross-entropy, plain SGD with weight decay (the DJL side is helper E's {@code ConvNets.lenet}).
 */
final class LeNetRuns {
    static final int SAMPLES = 64;
    static final int BATCH = 16;
    static final int STEPS = 24;
    static final int CLASSES = 10;
    private static final double LR = 0.05;
    private static final double DECAY = 1e-3;

    private LeNetRuns() {}

    /** Pixels (SAMPLES × 784, row-major 1×28×28) and class indices: a smooth template per class, plus noise. */
    record Images(float[] pixels, float[] classes) {
        static Images generate(long seed) {
            Random r = new Random(seed);
            float[][] templates = new float[CLASSES][784];
            for (int k = 0; k < CLASSES; k++) {
                double fx = 1 + r.nextInt(3);
                double fy = 1 + r.nextInt(3);
                double phase = r.nextDouble() * Math.PI;
                for (int p = 0; p < 784; p++) {
                    templates[k][p] = (float) Math.sin(Math.PI * (fx * (p % 28) + fy * (p / 28)) / 28 + phase);
                }
            }
            float[] pixels = new float[SAMPLES * 784];
            float[] classes = new float[SAMPLES];
            for (int s = 0; s < SAMPLES; s++) {
                int k = r.nextInt(CLASSES);
                classes[s] = k;
                for (int p = 0; p < 784; p++) {
                    pixels[s * 784 + p] = templates[k][p] + (float) (0.5 * r.nextGaussian());
                }
            }
            return new Images(pixels, classes);
        }
    }

    static void djl(MeterRegistry registry) throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        Images data = Images.generate(1);
        try (Model model = Model.newInstance("lenet")) {
            Engine.getInstance().setRandomSeed(1);
            model.setBlock(new SequentialBlock()
                    .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(6).optPadding(new Shape(2, 2)).build())
                    .add(Activation.reluBlock())
                    .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                    .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(16).build())
                    .add(Activation.reluBlock())
                    .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                    .add(Blocks.batchFlattenBlock())
                    .add(Linear.builder().setUnits(120).build())
                    .add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(CLASSES).build()));
            dev.noether.djl.NoetherTrainingListener noether = dev.noether.djl.NoetherTrainingListener.builder()
                    .registry(registry).modelName("lenet").config(ExpositionRuns.config()).build();
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed((float) LR))
                            .optWeightDecays((float) DECAY).build())
                    .addTrainingListeners(noether);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(BATCH, 1, 28, 28));
                NDManager m = trainer.getManager();
                ArrayDataset set = new ArrayDataset.Builder()
                        .setData(m.create(data.pixels(), new Shape(SAMPLES, 1, 28, 28)))
                        .optLabels(m.create(data.classes(), new Shape(SAMPLES)))
                        .setSampling(BATCH, false, true).build();
                int step = 0;
                while (step < STEPS) {
                    for (Batch batch : trainer.iterateDataset(set)) {
                        try (batch) {
                            EasyTrain.trainBatch(trainer, batch);
                            trainer.step();
                        }
                        if (++step >= STEPS) {
                            break;
                        }
                    }
                }
                awaitAnalysis(noether.monitor().orElseThrow());
            }
        }
    }

    static void dl4j(MeterRegistry registry) throws Exception {
        Images data = Images.generate(1);
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(1)
                .updater(new Sgd(LR)).weightDecay(DECAY, true).weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(5, 5).name("conv1").padding(2, 2).convolutionMode(ConvolutionMode.Truncate)
                        .nOut(6).activation(org.nd4j.linalg.activations.Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(5, 5).name("conv2").nOut(16)
                        .activation(org.nd4j.linalg.activations.Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().name("fc1").nOut(120).activation(org.nd4j.linalg.activations.Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).name("fc2").nOut(CLASSES)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1)).build());
        net.init();
        float[] oneHot = new float[SAMPLES * CLASSES];
        for (int s = 0; s < SAMPLES; s++) {
            oneHot[s * CLASSES + (int) data.classes()[s]] = 1;
        }
        try (dev.noether.dl4j.NoetherListener noether = dev.noether.dl4j.NoetherListener.builder()
                .registry(registry).modelName("lenet").config(ExpositionRuns.config()).build()) {
            net.addListeners(noether);
            DataSet set = new DataSet(Nd4j.create(data.pixels(), new long[] {SAMPLES, 784}, 'c'),
                    Nd4j.create(oneHot, new long[] {SAMPLES, CLASSES}, 'c'));
            var batches = set.batchBy(BATCH);
            for (int step = 0; step < STEPS; step++) {
                net.fit(batches.get(step % batches.size()));
            }
            awaitAnalysis(noether.monitor().orElseThrow());
        }
    }

    private static void awaitAnalysis(NoetherMonitor monitor) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while ((monitor.latestAnalysis() == null || monitor.isAnalysisRunning()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
