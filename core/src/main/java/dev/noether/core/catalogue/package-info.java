/**
 * The catalogue of the metric families Noether exports: names, help texts and units, one place that the
 * binder, the event log and the documentation read instead of retyping names.
 */
package dev.noether.core.catalogue;
