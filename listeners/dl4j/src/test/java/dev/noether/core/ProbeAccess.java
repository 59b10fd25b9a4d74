package dev.noether.core;

/**
 * Test-only window on {@link LayerProbe}'s package-private matrices, so the DL4J adapter's tests can compare
 * them with an independent computation. (Lives in core's package inside the adapter's test sources.)
 */
public final class ProbeAccess {
    private ProbeAccess() {}

    public static float[] inputMoment(LayerProbe p) {
        return p.inputMoment();
    }

    public static float[] outputMoment(LayerProbe p) {
        return p.outputMoment();
    }

    public static float[] outputGradientMoment(LayerProbe p) {
        return p.outputGradientMoment();
    }

    public static float[] outputMean(LayerProbe p) {
        return p.outputMean();
    }

    public static float[] activeFraction(LayerProbe p) {
        return p.activeFraction();
    }

    public static float[] weight(LayerSnapshot s) {
        return s.weight();
    }

    public static float[] bias(LayerSnapshot s) {
        return s.bias();
    }

    public static float[] weightGradient(LayerSnapshot s) {
        return s.weightGradient();
    }

    public static float[] biasGradient(LayerSnapshot s) {
        return s.biasGradient();
    }

    public static LayerSnapshot layer(StepSnapshot s, int index) {
        return s.layer(index);
    }
}
