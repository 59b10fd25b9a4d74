package dev.noether.core.model;

import java.util.Objects;

/** A layer the adapter could not map to the dense-chain model, with the reason; it is skipped. */
public final class UnsupportedLayer {
    private final String name;
    private final String reason;

    UnsupportedLayer(String name, String reason) {
        this.name = Objects.requireNonNull(name, "name");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public String name() {
        return name;
    }

    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return name + " (" + reason + ")";
    }
}
