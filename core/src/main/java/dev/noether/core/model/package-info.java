/**
 * The public model an engine adapter builds: the {@link dev.noether.core.model.NetworkDescription} of a
 * network (its dense layers, the symmetry pairs between them, the layers Noether skips), one training step's
 * {@link dev.noether.core.model.StepSnapshot} of parameters and gradients, a probe batch's
 * {@link dev.noether.core.model.LayerProbe} moments, and the {@link dev.noether.core.model.OptimizerSettings}
 * of the update. Plain values: no engine types, no Micrometer, no threads.
 */
package dev.noether.core.model;
