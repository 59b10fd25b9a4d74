package dev.noether.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/**
 * Hands blocks detached views of their parameters ({@code stopGradient()}: same storage, no autograd link),
 * so a probe's backward pass never reaches, and never adds to, the gradients of the training step. The views
 * are registered with the caller's {@link ai.djl.ndarray.NDScope} and closed with it.
 */
final class DetachedParameterStore extends ParameterStore {

    DetachedParameterStore(NDManager manager) {
        super(manager, false);
    }

    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        if (parameter == null) {
            return null;
        }
        NDArray detached = parameter.getArray().stopGradient();
        return device == null || detached.getDevice().equals(device) ? detached : detached.toDevice(device, true);
    }
}
