package dev.noether.examples.gallery;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

import java.util.List;

/**
 * A small residual network on vectors, in the shape of DJL's ResNetV1: a linear stem and ReLU, residual units
 * relu(x + Linear(ReLU(Linear(x)))), then the penultimate layer (a Linear with ReLU: the talk's "penultimate
 * layer" whose neurons form blocks) and the linear head. Noether maps it like any DJL graph: every Linear gets its
 * layer metrics, the penultimate layer and the head form a rescaling pair.
 */
final class ResidualNet {
    private ResidualNet() {}

    static SequentialBlock of(int width, int units, int penultimate, int outputs) {
        SequentialBlock net = new SequentialBlock();
        net.add(Linear.builder().setUnits(width).build()).add(Activation.reluBlock());
        for (int u = 0; u < units; u++) {
            SequentialBlock branch = new SequentialBlock()
                    .add(Linear.builder().setUnits(width).build())
                    .add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(width).build());
            net.add(new ParallelBlock(ResidualNet::reluOfSum, List.of(branch, Blocks.identityBlock())));
        }
        net.add(Linear.builder().setUnits(penultimate).build()).add(Activation.reluBlock());
        net.add(Linear.builder().setUnits(outputs).build());
        return net;
    }

    private static NDList reluOfSum(List<NDList> branches) {
        return new NDList(Activation.relu(branches.get(0).singletonOrThrow().add(branches.get(1).singletonOrThrow())));
    }
}
