package dev.noether.exporter.page;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class NeuronHeatmapTest {

    @Test
    void permutesRowsAndColumnsIntoTheClusteredOrder() {
        // 3 kept neurons (ids 4, 7, 9); order puts position 2 first: row i of the heatmap is neuron order[i].
        double[] m = {1, 0.1, 0.2,
                      0.1, 1, 0.3,
                      0.2, 0.3, 1};
        JsonNode c = PageJson.MAPPER.valueToTree(Map.of("neurons", List.of(4, 7, 9), "order", List.of(2, 0, 1), "matrix", m));
        Map<String, Object> h = NeuronHeatmap.of(c, 128);
        assertThat((double[]) h.get("matrix")).containsExactly(1, 0.2, 0.3, 0.2, 1, 0.1, 0.3, 0.1, 1);
        assertThat((int[]) h.get("orderedNeurons")).containsExactly(9, 4, 7);
        assertThat(h).containsEntry("cells", 3).containsEntry("neurons", 3);
    }

    @Test
    void blockAveragesWideLayersDownToTheCellLimit() {
        int n = 6;
        double[] m = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i * n + j] = i * 10 + j;
        JsonNode c = PageJson.MAPPER.valueToTree(Map.of("order", List.of(0, 1, 2, 3, 4, 5), "matrix", m));
        double[] h = (double[]) NeuronHeatmap.of(c, 3).get("matrix");
        // cell (0,0) averages rows 0-1, columns 0-1: (0 + 1 + 10 + 11) / 4
        assertThat(h[0]).isCloseTo(5.5, within(1e-12));
        assertThat(h[2 * 3 + 1]).isCloseTo((42 + 43 + 52 + 53) / 4.0, within(1e-12));
    }

    @Test
    void noMatrixNoHeatmap() {
        assertThat(NeuronHeatmap.of(PageJson.MAPPER.valueToTree(Map.of("order", List.of(0, 1))), 128)).isNull();
        assertThat(NeuronHeatmap.of(PageJson.MAPPER.missingNode(), 128)).isNull();
    }
}
