/**
 * The few dense linear-algebra kernels the heavy analysis needs (symmetric eigen solves, singular values,
 * matrix products), behind {@link dev.noether.core.linalg.LinearAlgebra}: native OpenBLAS/LAPACKE when
 * {@code org.bytedeco:openblas} is on the class path (every DL4J class path has it; DJL users may add it),
 * EJML otherwise. Not part of the API: public only so that physics and runtime can call it.
 */
package dev.noether.core.linalg;
