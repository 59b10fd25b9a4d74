package dev.noether.exporter.page;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The neuron-correlation heatmap of one layer in clustered order (the talk's ResNet-18 figure): the
 * correlation matrix of the kept neurons, rows and columns permuted by the average-linkage leaf order
 * {@code order}, block-averaged down to at most {@code max} × {@code max} cells so a wide layer never
 * freezes the browser.
 */
final class NeuronHeatmap {
    private NeuronHeatmap() {}

    /** null when the details carry no matrix (no probe yet, or a layer too wide to log it). */
    static Map<String, Object> of(JsonNode correlation, int max) {
        JsonNode matrix = correlation.path("matrix");
        JsonNode order = correlation.path("order");
        if (!matrix.isArray() || !order.isArray() || order.isEmpty()) return null;
        int n = order.size();
        if (matrix.size() != n * n) return null;
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = order.get(i).asInt();
        int cells = Math.min(n, max);
        double[][] sum = new double[cells][cells];
        int[][] count = new int[cells][cells];
        for (int i = 0; i < n; i++) {
            int ci = (int) ((long) i * cells / n);
            int row = perm[i];
            for (int j = 0; j < n; j++) {
                int cj = (int) ((long) j * cells / n);
                sum[ci][cj] += matrix.get(row * n + perm[j]).asDouble();
                count[ci][cj]++;
            }
        }
        double[] flat = new double[cells * cells];
        for (int i = 0; i < cells; i++) {
            for (int j = 0; j < cells; j++) flat[i * cells + j] = sum[i][j] / count[i][j];
        }
        JsonNode neurons = correlation.path("neurons");
        int[] orderedNeurons = new int[n];
        for (int i = 0; i < n; i++) orderedNeurons[i] = neurons.isArray() && neurons.size() == n ? neurons.get(perm[i]).asInt() : perm[i];
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("neurons", n);
        out.put("cells", cells);
        out.put("matrix", flat);
        out.put("orderedNeurons", orderedNeurons);
        return out;
    }
}
