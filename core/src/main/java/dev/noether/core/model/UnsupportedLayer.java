package dev.noether.core.model;

import java.util.Objects;

/**
 * A layer the adapter could not map to the dense-chain model, with the reason; it is skipped.
 *
 * @param name   the engine's name of the layer
 * @param reason why it is skipped, for the log and {@code noether.info{unsupported}}
 */
public record UnsupportedLayer(String name, String reason) {
    public UnsupportedLayer {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return name + " (" + reason + ")";
    }
}
