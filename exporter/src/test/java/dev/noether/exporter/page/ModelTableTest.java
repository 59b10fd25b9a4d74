package dev.noether.exporter.page;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ModelTableTest {

    @Test
    void derivesShapesPairsAndWhateverStringsTheRecordsCarry() {
        List<Map<String, Object>> records = List.of(
                Records.step(0, 0).layer("fc1", "layer.neurons", 64.0).layer("fc1", "layer.inputs", 784.0)
                        .layer("fc2", "layer.neurons", 10.0).layer("fc2", "layer.inputs", 64.0)
                        .pair("fc1:fc2", "symmetry", "rescaling").pair("fc1:fc2", "charge", 1.0).build(),
                Records.analysis(50, 1).layer("fc1", "neurons.dead", 0.0).layer("fc1", "crh.phase", "none")
                        .layer("fc1", "layer.kind", "dense").layer("fc1", "layer.activation", "relu").build(),
                // A record kind the page does not know (issue 12's layer.info) still contributes its strings and shape.
                Map.<String, Object>of("type", "layer.info", "layers",
                        Map.of("fc2", Map.of("kind", "linear", "shape", List.of(10, 64)))));
        ModelTable t = ModelTable.of(records);
        assertThat(t.models()).containsExactly("m");
        Map<String, Object> fc1 = t.layers().get(0);
        assertThat(fc1).containsEntry("name", "fc1").containsEntry("neurons", 64L).containsEntry("inputs", 784L)
                .containsEntry("weights", 64L * 784).containsEntry("kind", "dense").containsEntry("activation", "relu")
                .containsEntry("probed", true).doesNotContainKey("crh.phase");
        assertThat(fc1.get("pairs")).isEqualTo(List.of("fc1:fc2 (rescaling)"));
        assertThat(t.layers().get(1)).containsEntry("name", "fc2").containsEntry("probed", false)
                .containsEntry("kind", "linear").containsEntry("shape", "10 × 64");
        assertThat(t.pairs()).containsExactly(Map.of("name", "fc1:fc2", "symmetry", "rescaling"));
        assertThat(t.hasEffectiveLearningRate()).isFalse();
    }

    @Test
    void theNodesNotMappedComeWithTheirReasonOnce() {
        ModelTable.Accumulator a = new ModelTable.Accumulator();
        Map<String, Object> model = Map.of("optimizer", "sgd", "layers", Map.of("emb", Map.of("kind", "embedding", "shape", "6x12")),
                "unsupported", List.of(Map.of("name", "emb", "reason", "EmbeddingLayer is not modelled; weight metrics only for emb")));
        a.addDescription(model);
        a.addDescription(model); // a later details record: no second row
        ModelTable t = a.table();
        assertThat(t.unsupported()).containsExactly(
                Map.of("name", "emb", "reason", "EmbeddingLayer is not modelled; weight metrics only for emb"));
        assertThat(t.layers().get(0)).containsEntry("kind", "embedding").containsEntry("shape", "6 × 12");
    }

    @Test
    void zeroLayersIsAnEmptyTable() {
        ModelTable t = ModelTable.of(List.of(Records.step(0, 0).metric("loss", 1.0).build()));
        assertThat(t.layers()).isEmpty();
        assertThat(t.pairs()).isEmpty();
    }
}
