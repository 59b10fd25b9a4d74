package dev.noether.dl4j;

import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;
import java.util.Random;

/** A user's own dense layer written in SameDiff (DL4J's documented way to add a layer): tanh(x W + b). */
public class SameDiffDense extends SameDiffLayer {
    private long nIn;
    private long nOut;

    public SameDiffDense() {
        // for DL4J's JSON round trip of the configuration
    }

    SameDiffDense(long nIn, long nOut) {
        this.nIn = nIn;
        this.nOut = nOut;
    }

    public long getNIn() {
        return nIn;
    }

    public void setNIn(long nIn) {
        this.nIn = nIn;
    }

    public long getNOut() {
        return nOut;
    }

    public void setNOut(long nOut) {
        this.nOut = nOut;
    }

    @Override
    public SDVariable defineLayer(SameDiff sd, SDVariable input, Map<String, SDVariable> params, SDVariable mask) {
        SDVariable z = input.mmul(params.get(DefaultParamInitializer.WEIGHT_KEY)).add(params.get(DefaultParamInitializer.BIAS_KEY));
        return sd.math().tanh(z);
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        params.addWeightParam(DefaultParamInitializer.WEIGHT_KEY, nIn, nOut);
        params.addBiasParam(DefaultParamInitializer.BIAS_KEY, 1, nOut);
    }

    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        Random r = new Random(7);
        INDArray w = params.get(DefaultParamInitializer.WEIGHT_KEY);
        for (long i = 0; i < w.length(); i++) {
            w.putScalar(i, r.nextGaussian() / Math.sqrt(nIn));
        }
        params.get(DefaultParamInitializer.BIAS_KEY).assign(0);
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(nOut);
    }

    @Override
    public void setNIn(InputType inputType, boolean override) {
        if (nIn <= 0 || override) {
            nIn = ((InputType.InputTypeFeedForward) inputType).getSize();
        }
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }
}
