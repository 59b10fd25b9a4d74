package dev.noether.examples.gallery;

/** One line of a figure's table: the theory's prediction beside Noether's measurement, and whether they agree. */
record Claim(String quantity, String predicted, String measured, boolean holds) {}
