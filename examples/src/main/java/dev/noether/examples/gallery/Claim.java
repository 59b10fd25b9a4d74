package dev.noether.examples.gallery;

/**
 * One line of a figure's table: the theory's prediction beside Noether's measurement, and whether they agree. A
 * binding claim is the figure's established result (the gallery exits 1 when one disagrees); a non-binding one is a
 * comparison worth showing whose theory does not promise it for this model (figure 7's phase exponents in an MLP).
 */
record Claim(String quantity, String predicted, String measured, boolean holds, boolean binding) {
    Claim(String quantity, String predicted, String measured, boolean holds) {
        this(quantity, predicted, measured, holds, true);
    }
}
