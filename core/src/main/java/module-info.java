/** Noether core: the public model, runtime, catalogue, Micrometer binding and adapter SPI; the physics stays internal. */
module dev.noether.core {
    requires transitive micrometer.core;
    requires ejml.core;
    requires ejml.ddense;
    // optional native LAPACK (dev.noether.core.linalg): used only when the application has it
    requires static org.bytedeco.openblas;
    // optional: whether the CPU has FMA (dev.noether.core.physics.RowBlockSums), read when the JDK has them
    requires static java.management;
    requires static jdk.management;

    exports dev.noether.core.model;
    exports dev.noether.core.runtime;
    exports dev.noether.core.catalogue;
    exports dev.noether.core.micrometer;
    exports dev.noether.core.spi;
    exports dev.noether.core.worker;
    // for LinearAlgebra.Backend, a NoetherConfig setting
    exports dev.noether.core.linalg;
}
