package dev.noether.exporter.page;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The page's history of event-log records ({@code NoetherReport.toRecord()} maps, the same shape as the lines of the
 * event log), covering the whole run in bounded memory.
 *
 * <p>Each kind of record ({@code step}, {@code analysis}) has its own {@link RecordLane}: the first record, the
 * latest {@code maxRecords} at full resolution, and between them at most {@code maxRecords / 2} buckets that keep
 * the mean, minimum and maximum of every value over an even share of the older records. So a run of ten steps and
 * one of a million both show from step 0, with at most {@code 1 + 1.5 · maxRecords} points per kind. The
 * {@code details} of a record are not kept per record: the latest per-neuron details of each layer are (for
 * {@code /api/layer}), the {@code histograms} go to a {@link HistogramHistory}, the {@code model} description to
 * the {@link ModelTable}.
 *
 * <p><b>Memory bound.</b> What the history holds is counted in bytes as the JVM lays it out (points, their
 * arrays, the kept details as JSON, the histograms) and stays within {@code maxBytes}: the histograms within a
 * quarter of it, the rest within three quarters. A model so large that this is exceeded first keeps fewer
 * records at full resolution, then fewer buckets, down to 16 of each per kind; only records larger than about
 * {@code maxBytes / 200} each can take the history above its bound (to those 33 points per kind).
 *
 * <p>{@link #offer(Map)} never blocks: it puts the record in a queue of {@value #INTAKE} and returns (a full queue
 * drops the record and counts it). One daemon thread stores the records.
 */
public final class RunHistory implements AutoCloseable {
    /** Default number of the latest records of each kind kept at full resolution. */
    public static final int DEFAULT_MAX_RECORDS = 2_000;
    /** Default bound on the history's memory: 32 MiB. */
    public static final long DEFAULT_MAX_BYTES = 32L << 20;
    static final int INTAKE = 4096;
    static final int MIN_RECENT = 16;
    static final int MIN_BUCKETS = 16;
    private static final Object STOP = new Object();

    private final int maxRecords;
    private final int maxBuckets;
    private final long maxBytes;
    private final long recordBytes;
    private final ObjectMapper json = PageJson.MAPPER;
    private final BlockingQueue<Object> intake = new ArrayBlockingQueue<>(INTAKE);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong pending = new AtomicLong(); // offered to the worker, not yet stored
    private final Thread worker; // null when records are added synchronously (replay)

    // Guarded by this.
    private final Map<String, RecordLane> lanes = new LinkedHashMap<>();
    private final Map<String, StoredDetail> latestDetails = new LinkedHashMap<>();
    private final HistogramHistory histograms;
    private final ModelTable.Accumulator model = new ModelTable.Accumulator();
    private long nextSeq = 1;
    private long revision;
    private long detailBytes;
    private long accepted;

    private RunHistory(int maxRecords, long maxBytes, boolean background) {
        if (maxRecords < 1) throw new IllegalArgumentException("maxRecords must be >= 1: " + maxRecords);
        if (maxBytes < 1) throw new IllegalArgumentException("maxBytes must be >= 1: " + maxBytes);
        this.maxRecords = maxRecords;
        this.maxBuckets = Math.max(MIN_BUCKETS, maxRecords / 2);
        this.maxBytes = maxBytes;
        this.recordBytes = maxBytes - maxBytes / 4;
        this.histograms = new HistogramHistory(maxBytes / 4);
        if (background) {
            worker = new Thread(this::drain, "noether-page-history");
            worker.setDaemon(true);
            worker.start();
        } else {
            worker = null;
        }
    }

    /** A live history fed from the training and analysis threads, with its own daemon thread. */
    public static RunHistory live(int maxRecords, long maxBytes) {
        return new RunHistory(maxRecords, maxBytes, true);
    }

    /** A history filled by the caller's thread (replay of an event log): {@link #offer} stores at once. */
    public static RunHistory replay(int maxRecords, long maxBytes) {
        return new RunHistory(maxRecords, maxBytes, false);
    }

    /** Hands over one record; never blocks and never throws. Do not modify the map afterwards. */
    public void offer(Map<String, Object> record) {
        if (record == null) return;
        if (worker == null) {
            store(record);
        } else {
            pending.incrementAndGet();
            if (!intake.offer(record)) {
                pending.decrementAndGet();
                dropped.incrementAndGet();
            }
        }
    }

    /** Records lost because the intake queue was full (the page thread fell behind). */
    public long dropped() {
        return dropped.get();
    }

    /** Waits until every record offered so far is stored (tests). */
    void awaitIdle(long timeoutMillis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (pending.get() > 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
    }

    @Override
    public void close() {
        if (worker != null) {
            intake.clear();
            intake.offer(STOP);
            worker.interrupt();
        }
    }

    int maxRecords() {
        return maxRecords;
    }

    long maxBytes() {
        return maxBytes;
    }

    /** Bytes held now: points, kept details and histograms (see the class comment). */
    synchronized long bytes() {
        return pointBytes() + detailBytes + histograms.bytes();
    }

    private long pointBytes() {
        long b = 0;
        for (RecordLane lane : lanes.values()) {
            b += lane.bytes();
        }
        return b;
    }

    /** Counters of the history for {@code /api/run}: what was stored, how it is kept, the bytes held now. */
    synchronized Map<String, Object> counters() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("accepted", accepted);
        int kept = 0, buckets = 0, full = 0, compactions = 0;
        Map<String, Object> byType = new LinkedHashMap<>();
        for (RecordLane lane : lanes.values()) {
            kept += lane.size();
            buckets += lane.bucketCount();
            full += lane.size() - lane.bucketCount();
            compactions += lane.compactions();
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("records", lane.records());
            l.put("points", lane.size());
            l.put("fullResolution", lane.size() - lane.bucketCount());
            l.put("buckets", lane.bucketCount());
            l.put("bucketWidth", lane.bucketWidth());
            l.put("maxRecent", lane.maxRecent());
            l.put("maxBuckets", lane.maxBuckets());
            byType.put(lane.type, l);
        }
        c.put("kept", kept);
        c.put("fullResolution", full);
        c.put("buckets", buckets);
        c.put("epoch", compactions);
        c.put("dropped", dropped.get());
        c.put("bytes", pointBytes() + detailBytes + histograms.bytes());
        c.put("histogramBytes", histograms.bytes());
        c.put("maxRecords", maxRecords);
        c.put("maxBuckets", maxBuckets);
        c.put("maxPointsPerSeries", 1 + maxRecords + maxBuckets);
        c.put("maxBytes", maxBytes);
        c.put("lastSeq", nextSeq - 1);
        c.put("rev", revision);
        c.put("lanes", byType);
        return c;
    }

    /** The epoch: the number of compactions so far; a page that saw another epoch fetches everything again. */
    synchronized long epoch() {
        long e = 0;
        for (RecordLane lane : lanes.values()) e += lane.compactions();
        return e;
    }

    /** The points changed after revision {@code afterRev}, as records, in revision order, at most {@code limit}. */
    synchronized Changes changedSince(long afterRev, int limit) {
        List<HistoryPoint> changed = new ArrayList<>();
        Map<HistoryPoint, RecordLane> laneOf = new java.util.IdentityHashMap<>();
        for (RecordLane lane : lanes.values()) {
            for (HistoryPoint p : lane.points()) {
                if (p.rev > afterRev) {
                    changed.add(p);
                    laneOf.put(p, lane);
                }
            }
        }
        changed.sort(Comparator.comparingLong(p -> p.rev));
        List<Map<String, Object>> out = new ArrayList<>(Math.min(limit, changed.size()));
        long rev = afterRev;
        for (HistoryPoint p : changed) {
            if (out.size() >= limit) break;
            out.add(laneOf.get(p).toRecord(p));
            rev = p.rev;
        }
        return new Changes(epoch(), rev, nextSeq - 1, out);
    }

    /** A page of changed points: the epoch, the revision of the last one, the last sequence number stored. */
    record Changes(long epoch, long rev, long lastSeq, List<Map<String, Object>> records) {}

    /** The points of every kind (or of {@code type}) overlapping steps [from, to], at most {@code limit} per kind. */
    synchronized List<Map<String, Object>> range(long from, long to, int limit, String type) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (RecordLane lane : lanes.values()) {
            if (type != null && !type.equals(lane.type)) continue;
            for (HistoryPoint p : lane.range(from, to, limit)) out.add(lane.toRecord(p));
        }
        return out;
    }

    /**
     * The points of {@code type} as records, oldest first: a view that writes each point out when it is read (the
     * alert conditions read only their windows, newest first).
     */
    synchronized List<Map<String, Object>> records(String type) {
        RecordLane lane = lanes.get(type);
        if (lane == null) return List.of();
        List<HistoryPoint> points = lane.points();
        return new AbstractList<>() {
            @Override
            public Map<String, Object> get(int index) {
                synchronized (RunHistory.this) {
                    return lane.toRecord(points.get(index));
                }
            }

            @Override
            public int size() {
                return points.size();
            }
        };
    }

    /** The newest record of {@code type}, or null. */
    synchronized Map<String, Object> last(String type) {
        RecordLane lane = lanes.get(type);
        HistoryPoint p = lane == null ? null : lane.last();
        return p == null ? null : lane.toRecord(p);
    }

    /** The values of {@code name} in {@code section} of the newest record of {@code type} that has them, or an empty map. */
    synchronized Map<String, Object> latest(String type, String section, String name) {
        RecordLane lane = lanes.get(type);
        if (lane == null) return Map.of();
        for (HistoryPoint p : lane.newestFirst()) {
            Map<String, Object> record = lane.toRecord(p);
            if (PageJson.section(record, section).get(name) instanceof Map<?, ?> m) {
                @SuppressWarnings("unchecked")
                Map<String, Object> values = (Map<String, Object>) m;
                return values;
            }
        }
        return Map.of();
    }

    /** The model table of every record stored so far. */
    synchronized ModelTable modelTable() {
        return model.table();
    }

    /** The latest per-neuron details of {@code layer}, or null. */
    synchronized StoredDetail detail(String layer) {
        return latestDetails.get(layer);
    }

    /** The kept histograms of one layer's quantity, oldest first. */
    synchronized List<HistogramHistory.Snapshot> histograms(String layer, String quantity) {
        return histograms.series(layer, quantity);
    }

    /** The pair whose charges are in {@code layer}'s charge histograms, or null. */
    synchronized String chargePairOf(String layer) {
        return histograms.pairOf(layer);
    }

    private void drain() {
        while (true) {
            Object next;
            try {
                next = intake.take();
            } catch (InterruptedException e) {
                if (intake.peek() == STOP) return;
                continue;
            }
            if (next == STOP) return;
            @SuppressWarnings("unchecked")
            Map<String, Object> record = (Map<String, Object>) next;
            try {
                store(record);
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    /** Stores a record parsed from an event-log line (replay), on the caller's thread. */
    void offer(FlatRecord record) {
        store(record);
    }

    private void store(Map<String, Object> record) {
        store(RecordValues.of(record));
    }

    private synchronized void store(RecordValues record) {
        try {
            RecordLane lane = lanes.computeIfAbsent(record.type(), t -> new RecordLane(t, maxRecords, maxBuckets));
            long seq = nextSeq++;
            lane.add(lane.pointOf(seq, record), () -> ++revision);
            model.add(record);
            accepted++;
            if (record.details() != null) {
                keepDetails(record.step(), record.details());
            }
            while (pointBytes() + detailBytes > recordBytes && shrinkLargestLane()) {
                // one lane holds less now; check again
            }
        } catch (IOException | RuntimeException e) {
            dropped.incrementAndGet(); // a record the page cannot read is lost to the page, never to training
        }
    }

    private void keepDetails(long step, Map<?, ?> details) throws JsonProcessingException {
        if (details.get("layers") instanceof Map<?, ?> layers) {
            for (Map.Entry<?, ?> e : layers.entrySet()) {
                byte[] bytes = json.writeValueAsBytes(e.getValue()); // a copy: live reports hold arrays
                StoredDetail old = latestDetails.put(String.valueOf(e.getKey()), new StoredDetail(step, bytes));
                detailBytes += bytes.length + 16 - (old == null ? 0 : old.json().length + 16);
            }
        }
        if (details.get("histograms") instanceof Map<?, ?> h) {
            histograms.add(step, h);
        }
        if (details.get("model") instanceof Map<?, ?> m) {
            model.addDescription(m);
        }
    }

    private boolean shrinkLargestLane() {
        List<RecordLane> bySize = new ArrayList<>(lanes.values());
        bySize.sort(Comparator.comparingLong(RecordLane::bytes).reversed());
        for (RecordLane lane : bySize) {
            if (lane.shrink(MIN_RECENT, MIN_BUCKETS, () -> ++revision)) return true;
        }
        return false;
    }

    /** The latest per-neuron details of one layer, from the analysis at {@code step}, as JSON. */
    record StoredDetail(long step, byte[] json) {
        JsonNode tree() {
            try {
                return PageJson.MAPPER.readTree(json);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
