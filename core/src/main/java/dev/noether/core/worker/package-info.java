/**
 * Many workers, one run: who this worker is ({@link dev.noether.core.worker.WorkerIdentity}: host and pid, or the
 * Spark executor and partition of the task) and one monitor per worker that outlives the engine's short-lived
 * worker networks ({@link dev.noether.core.worker.WorkerMonitors}), so a data-parallel worker's series continue
 * from round to round and their number stays fixed.
 */
package dev.noether.core.worker;
