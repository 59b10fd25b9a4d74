package dev.noether.core.physics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;

/**
 * Haar-random orthogonal matrices, and the chance level of an alignment (METRICS.md §5,
 * {@code crh.alignment.baseline}).
 *
 * <p>The analysis asks for the same few sizes at every report, so matrices are memoised per
 * (d, seed) in a small LRU cache bounded both in entries and in total size.
 */
public final class RandomOrthogonal {

    /** At most this many matrices are kept. */
    static final int CACHE_ENTRIES = 16;
    /** At most this many doubles (64 MiB) are kept; a larger single matrix is never cached. */
    static final long CACHE_DOUBLES = 1L << 23;

    private static final Map<Key, DMatrixRMaj> CACHE = new LinkedHashMap<>(32, 0.75f, true);
    private static long cachedDoubles;

    private RandomOrthogonal() {
    }

    /**
     * A Haar-distributed d×d orthogonal matrix, a deterministic function of (d, seed): the Q of the
     * QR decomposition of a matrix of standard normals ({@link Random#nextGaussian()}, row-major),
     * with the sign fix Q·diag(sign(diag R)) that makes the distribution Haar (Mezzadri 2007).
     *
     * @return a fresh copy the caller may modify
     */
    public static DMatrixRMaj of(int d, long seed) {
        return shared(d, seed).copy();
    }

    /**
     * Random-rotation baseline of {@link Alignment#pearson}: {@code α(A, Q B Qᵀ)} with Q =
     * {@link #of}(d, seed). It keeps the spectrum of B and scrambles its eigenbasis, so it is the
     * alignment a matrix with B's spectrum reaches by chance.
     *
     * @throws IllegalArgumentException when B is not square or A's shape differs from B's
     */
    public static double baseline(DMatrixRMaj a, DMatrixRMaj b, long seed) {
        if (b.numRows != b.numCols) {
            throw new IllegalArgumentException("B must be square: " + b.numRows + "x" + b.numCols);
        }
        if (a.numRows != b.numRows || a.numCols != b.numCols) {
            throw new IllegalArgumentException("shape mismatch: " + a.numRows + "x" + a.numCols
                    + " vs " + b.numRows + "x" + b.numCols);
        }
        DMatrixRMaj q = shared(b.numRows, seed);
        DMatrixRMaj qb = new DMatrixRMaj(b.numRows, b.numCols);
        CommonOps_DDRM.mult(q, b, qb);
        DMatrixRMaj rotated = new DMatrixRMaj(b.numRows, b.numCols);
        CommonOps_DDRM.multTransB(qb, q, rotated);
        return Alignment.pearson(a, rotated);
    }

    /**
     * Closed-form random-rotation baseline: the Pearson alignment of A with Q B Qᵀ as the ratio of its
     * Haar expectations, E_Q[⟨A_c, (QBQᵀ)_c⟩] / sqrt(‖A_c‖² E_Q‖(QBQᵀ)_c‖²) (X_c: X minus the mean of its
     * entries). With t = tr, s = 1ᵀ·1 (sum of entries), F = ‖·‖_F² and B_s = (B + Bᵀ)/2, exactly
     * (E[QBQᵀ] = (t_B/d)·I, and 1ᵀQBQᵀ1 = d·vᵀBv with v uniform on the sphere, E[(vᵀBv)²] =
     * (t_B² + 2 tr B_s²)/(d(d+2))):
     * <pre>
     *   E⟨A_c, (QBQᵀ)_c⟩ = t_B (t_A − s_A/d) / d
     *   E‖(QBQᵀ)_c‖²    = F_B − (t_B² + 2 tr B_s²) / (d(d+2))
     * </pre>
     * It costs O(d²) and no random numbers, where one sampled rotation ({@link #baseline}) costs two d³
     * products and carries a sampling noise of order 1/d. The ratio of expectations differs from the
     * expected ratio by the covariance of numerator and denominator, of relative order 1/d²
     * (RandomOrthogonalTest measures it against 400 sampled rotations). Exact when B is a multiple of I.
     *
     * @return NaN when A has zero variance (all entries equal), when d &lt; 2, or on non-finite input
     * @throws IllegalArgumentException when B is not square or A's shape differs from B's
     */
    public static double expectedBaseline(DMatrixRMaj a, DMatrixRMaj b) {
        if (b.numRows != b.numCols || a.numRows != b.numRows || a.numCols != b.numCols) {
            throw new IllegalArgumentException("need two square matrices of one size, got " + a.numRows + "x"
                    + a.numCols + " and " + b.numRows + "x" + b.numCols);
        }
        int d = b.numRows;
        double traceA = 0;
        double traceB = 0;
        double sumA = 0;
        double frobA = 0;
        double frobB = 0;
        double symB = 0; // tr(B_s²) = Σ_ij B_ij (B_ij + B_ji) / 2
        boolean constantA = true;
        double first = a.getNumElements() > 0 ? a.data[0] : 0;
        for (int i = 0; i < d; i++) {
            traceA += a.data[i * d + i];
            traceB += b.data[i * d + i];
            for (int j = 0; j < d; j++) {
                double x = a.data[i * d + j];
                double y = b.data[i * d + j];
                constantA &= x == first;
                sumA += x;
                frobA += x * x;
                frobB += y * y;
                symB += y * 0.5 * (y + b.data[j * d + i]);
            }
        }
        if (constantA) {
            return Double.NaN;
        }
        return expectedBaseline(d, traceA, sumA, frobA, traceB, frobB, symB);
    }

    /**
     * {@link #expectedBaseline(DMatrixRMaj, DMatrixRMaj)} from the invariants it depends on: t_A, s_A, F_A,
     * t_B, F_B and tr B_s² (= F_B for a symmetric B). NaN when d &lt; 2 or A's centred norm is zero.
     */
    static double expectedBaseline(int d, double traceA, double sumA, double frobA, double traceB, double frobB,
                                   double symB) {
        if (d < 2) {
            return Double.NaN;
        }
        double dd = (double) d * d;
        double centredA = frobA - sumA * sumA / dd;
        double numerator = traceB * (traceA - sumA / d) / d;
        double r = numerator / Math.sqrt(centredA * expectedCentredNorm2(d, traceB, frobB, symB));
        return Double.isFinite(r) ? Math.max(-1.0, Math.min(1.0, r)) : Double.NaN;
    }

    /** E_Q‖(QBQᵀ)_c‖² = F_B − (t_B² + 2 tr B_s²) / (d(d+2)). */
    static double expectedCentredNorm2(int d, double traceB, double frobB, double symB) {
        return frobB - (traceB * traceB + 2 * symB) / (d * (d + 2.0));
    }

    /** The cached instance: never hand it out, never modify it. */
    private static DMatrixRMaj shared(int d, long seed) {
        if (d < 0) {
            throw new IllegalArgumentException("negative size " + d);
        }
        Key key = new Key(d, seed);
        synchronized (CACHE) {
            DMatrixRMaj hit = CACHE.get(key);
            if (hit != null) {
                return hit;
            }
        }
        // Generated outside the lock: a duplicate computation is harmless, a stalled caller is not.
        DMatrixRMaj q = generate(d, seed);
        long size = (long) d * d;
        if (size <= CACHE_DOUBLES) {
            synchronized (CACHE) {
                DMatrixRMaj previous = CACHE.put(key, q);
                if (previous != null) {
                    cachedDoubles -= previous.getNumElements();
                }
                cachedDoubles += size;
                // Access order: the eldest entries come first and the one just added comes last.
                var it = CACHE.values().iterator();
                while (CACHE.size() > CACHE_ENTRIES || cachedDoubles > CACHE_DOUBLES) {
                    cachedDoubles -= it.next().getNumElements();
                    it.remove();
                }
            }
        }
        return q;
    }

    /** Number of matrices held now (for tests of the bound). */
    public static int cachedMatrices() {
        synchronized (CACHE) {
            return CACHE.size();
        }
    }

    private record Key(int d, long seed) {
    }

    private static DMatrixRMaj generate(int d, long seed) {
        Random random = new Random(seed);
        DMatrixRMaj gaussian = new DMatrixRMaj(d, d);
        for (int i = 0; i < gaussian.data.length; i++) {
            gaussian.data[i] = random.nextGaussian();
        }
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(d, d);
        if (!DecompositionFactory_DDRM.decomposeSafe(qr, gaussian)) {
            throw new IllegalStateException("QR decomposition failed for d=" + d);
        }
        DMatrixRMaj q = qr.getQ(null, false);
        DMatrixRMaj r = qr.getR(null, false);
        for (int j = 0; j < d; j++) {
            if (r.get(j, j) < 0) {
                for (int i = 0; i < d; i++) {
                    q.set(i, j, -q.get(i, j));
                }
            }
        }
        return q;
    }
}
