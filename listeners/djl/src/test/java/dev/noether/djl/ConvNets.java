package dev.noether.djl;

import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;

import java.util.function.Supplier;

/** The convolutional models the tests train: a LeNet-style CNN and DJL's own ResNetV1. */
final class ConvNets {
    static final Shape MNIST = new Shape(1, 28, 28);

    private ConvNets() {}

    /** conv(6, 5x5, pad 2)-σ-maxpool, conv(16, 5x5)-ReLU-maxpool, flatten, dense(120)-ReLU, dense(outputs). */
    static SequentialBlock lenet(Supplier<Block> firstActivation, int outputs) {
        return new SequentialBlock()
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(6).optPadding(new Shape(2, 2)).build())
                .add(firstActivation.get())
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).setFilters(16).build())
                .add(Activation.reluBlock())
                .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(120).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(outputs).build());
    }

    static SequentialBlock lenet(int outputs) {
        return lenet(Activation::reluBlock, outputs);
    }

    /** DJL model-zoo ResNetV1 with {@code layers} layers on 1×28×28 images (PLATFORM.md). */
    static Block resnet(int layers, int outputs) {
        return ResNetV1.builder().setImageShape(MNIST).setNumLayers(layers).setOutSize(outputs).build();
    }
}
