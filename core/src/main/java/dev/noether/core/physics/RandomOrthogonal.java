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
