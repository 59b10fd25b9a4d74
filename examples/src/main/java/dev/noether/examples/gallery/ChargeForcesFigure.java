package dev.noether.examples.gallery;

import dev.noether.core.catalogue.MetricFamily;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Figure 8, what moves the charge (METRICS.md §11): the four parts of each pair charge's drift rate
 * ({@code charge.drift.rate.part{part=decay|optimizer|gradient|step}}) under SGD, momentum and Adam. A stub until that
 * metric exists (issue 22, optimizer physics): it says so and draws nothing. When the metric family is present the
 * figure is to train one MLP under each optimizer and stack the parts against the observed drift rate.
 */
final class ChargeForcesFigure implements Figure {
    static final String METRIC = "charge.drift.rate.part";

    @Override
    public String id() {
        return "8-charge-forces";
    }

    @Override
    public String command() {
        return "charge-forces";
    }

    @Override
    public String title() {
        return "What moves the charge";
    }

    /** True when this build of Noether has the metric the figure needs. */
    static boolean available() {
        return Arrays.stream(MetricFamily.values()).anyMatch(f -> f.shortName().equals(METRIC));
    }

    @Override
    public FigureResult draw(GalleryContext c) {
        String notes = available()
                ? "STUB: this build of Noether has " + METRIC + ", but the figure is not drawn yet; it was written before "
                        + "issue 22 landed."
                : "STUB — needs issue 22 (optimizer physics): this build of Noether has no metric " + METRIC + "{part} "
                        + "(decay, optimizer, gradient, step; METRICS.md §11), so the four parts of the charge's drift under "
                        + "SGD, momentum and Adam cannot be read yet. Nothing was trained.";
        c.printf("Figure 8 — %s: %s%n", title(), notes);
        return new FigureResult(id(), title(), List.of(), List.of(), null, notes, Map.of(), true, 0);
    }
}
