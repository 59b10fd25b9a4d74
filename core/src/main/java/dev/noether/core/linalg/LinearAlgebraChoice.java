package dev.noether.core.linalg;

import java.lang.System.Logger.Level;

/**
 * Resolves {@link LinearAlgebra.Backend}s once per process. The native library is probed with
 * {@link Class#forName} (which loads it) before any class that links against it is touched, so core runs
 * without {@code org.bytedeco:openblas}; the outcome is logged once.
 */
final class LinearAlgebraChoice {
    static final String PROPERTY = "noether.linalg";
    private static final System.Logger LOG = System.getLogger("dev.noether");
    private static final String OPENBLAS = "org.bytedeco.openblas.global.openblas";

    private LinearAlgebraChoice() {
    }

    static LinearAlgebra preferred() {
        return Preferred.INSTANCE;
    }

    static LinearAlgebra of(LinearAlgebra.Backend backend) {
        switch (backend) {
            case JAVA:
                return Java.INSTANCE;
            case NATIVE:
                if (Native.INSTANCE == null) {
                    throw new IllegalStateException("native linear algebra requested but unavailable: "
                            + Native.PROBLEM + " (add org.bytedeco:openblas with its platform jar, or use auto/java)");
                }
                return Native.INSTANCE;
            default:
                return Preferred.INSTANCE;
        }
    }

    /** Native when it loaded, else Java. */
    private static LinearAlgebra detected() {
        return Native.INSTANCE != null ? Native.INSTANCE : Java.INSTANCE;
    }

    private static final class Java {
        static final LinearAlgebra INSTANCE = new EjmlLinearAlgebra();
    }

    private static final class Native {
        static final String PROBLEM;
        static final LinearAlgebra INSTANCE;

        static {
            LinearAlgebra loaded = null;
            String problem = null;
            try {
                Class.forName(OPENBLAS, true, LinearAlgebraChoice.class.getClassLoader());
                loaded = new OpenBlasLinearAlgebra();
            } catch (ClassNotFoundException e) {
                problem = "org.bytedeco:openblas is not on the class path";
            } catch (LinkageError | RuntimeException e) {
                problem = "org.bytedeco:openblas did not load: " + e;
            }
            INSTANCE = loaded;
            PROBLEM = problem;
        }
    }

    private static final class Preferred {
        static final LinearAlgebra INSTANCE;

        static {
            String requested = System.getProperty(PROPERTY, "auto");
            LinearAlgebra chosen = null;
            try {
                LinearAlgebra.Backend backend = LinearAlgebra.Backend.parse(requested);
                chosen = backend == LinearAlgebra.Backend.AUTO ? detected() : of(backend);
            } catch (IllegalArgumentException | IllegalStateException e) {
                LOG.log(Level.WARNING, "Noether: " + PROPERTY + "=" + requested + " not usable (" + e.getMessage()
                        + "); falling back to auto");
            }
            INSTANCE = chosen != null ? chosen : detected();
            LOG.log(Level.INFO, "Noether linear algebra: " + INSTANCE.name() + (INSTANCE.isNative() ? ""
                    : Native.PROBLEM == null ? " (forced by " + PROPERTY + ")"
                    : " (" + Native.PROBLEM + "; add it for native LAPACK, see noether-djl's README)"));
        }
    }
}
