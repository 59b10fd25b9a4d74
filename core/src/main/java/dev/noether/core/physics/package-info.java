/**
 * The physics: pure functions on arrays (charges' layer moments, spectra, alignments, neuron census and
 * correlation, fluctuation–dissipation, CRH phase classification), each citing its section of METRICS.md.
 * Not part of the API: the classes are public only so that the runtime can call them, and the module
 * descriptor does not export this package; they may change without notice.
 */
package dev.noether.core.physics;
