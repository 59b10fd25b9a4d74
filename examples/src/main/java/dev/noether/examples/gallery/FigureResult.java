package dev.noether.examples.gallery;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What a figure produced: its claims (prediction beside measurement), its PNGs and event log (file names in the
 * output folder), what it took (models, sizes, seconds), and the measured numbers by name (for tests and the
 * report). A stub has no PNG and says what it waits for in {@code notes}.
 */
record FigureResult(String id, String title, List<Claim> claims, List<String> pngs, String log, String notes,
                    Map<String, Double> numbers, boolean stub, double seconds) {

    OptionalDouble number(String name) {
        Double v = numbers.get(name);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    /** True when every binding claim agrees. */
    boolean allHold() {
        return claims.stream().allMatch(c -> c.holds() || !c.binding());
    }

    FigureResult took(double secondsTaken) {
        return new FigureResult(id, title, claims, pngs, log, notes, numbers, stub, secondsTaken);
    }
}
