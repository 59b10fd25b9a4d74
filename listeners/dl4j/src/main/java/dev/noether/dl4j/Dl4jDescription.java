package dev.noether.dl4j;

import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.Normalization;

import java.util.List;

/** Turns the mapped DL4J nodes into core's {@link NetworkDescription}. */
final class Dl4jDescription {
    private Dl4jDescription() {}

    // TEMPORARY chain form until the graph-shaped description lands from i12-graph
    static NetworkDescription describe(String modelName, List<Dl4jNode> nodes) {
        NetworkDescription.Builder d = NetworkDescription.builder(modelName);
        for (Dl4jNode e : nodes) {
            switch (e.kind()) {
                case CONV -> d.unsupported(e.name(), "pending the graph-shaped description");
                case DENSE, OUTPUT -> {
                    d.dense(e.name(), e.outputs(), e.inputs(), e.hasBias());
                    d.activation(ActivationMapping.of(e.activation()));
                }
                case ACTIVATION -> d.activation(ActivationMapping.of(e.activation()));
                case BATCH_NORM -> d.normalization(Normalization.BATCH_NORM, e.name());
                case DROPOUT, POOLING -> d.dropout(e.name());
                case ADD, CONCAT, UNSUPPORTED -> d.unsupported(e.name(), e.reason() == null ? e.kind().name() : e.reason());
            }
        }
        return d.build();
    }
}
