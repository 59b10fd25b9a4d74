package dev.noether.exporter.page;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The page's bounded in-memory history of event-log records ({@code NoetherReport.toRecord()} maps, the
 * same shape as the lines of the event log).
 *
 * <p>{@link #offer(Map)} never blocks: it puts the record in a queue of {@value #INTAKE} and returns (a
 * full queue drops the record and counts it). One daemon thread serialises each record once and keeps
 * the serialised records, oldest evicted first, within both bounds: at most {@code maxRecords} records
 * and at most {@code maxBytes} of JSON. The per-neuron {@code details} of an analysis are not kept per
 * record: only the latest details of each layer are, and they count against the same byte bound.
 */
public final class RunHistory implements AutoCloseable {
    /** Default bound on kept records: 20,000 (500,000 steps at one observed step out of 25). */
    public static final int DEFAULT_MAX_RECORDS = 20_000;
    /** Default bound on the kept JSON: 32 MiB. */
    public static final long DEFAULT_MAX_BYTES = 32L << 20;
    static final int INTAKE = 4096;
    private static final Object STOP = new Object();

    private final int maxRecords;
    private final long maxBytes;
    private final ObjectMapper json = PageJson.MAPPER;
    private final BlockingQueue<Object> intake = new ArrayBlockingQueue<>(INTAKE);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong pending = new AtomicLong(); // offered to the worker, not yet stored
    private final Thread worker; // null when records are added synchronously (replay)

    // Guarded by this.
    private final ArrayDeque<StoredRecord> records = new ArrayDeque<>();
    private final Map<String, StoredDetail> latestDetails = new LinkedHashMap<>();
    private final ModelTable.Accumulator model = new ModelTable.Accumulator();
    private long nextSeq = 1;
    private long bytes;
    private long evicted;
    private long accepted;

    private RunHistory(int maxRecords, long maxBytes, boolean background) {
        if (maxRecords < 1) throw new IllegalArgumentException("maxRecords must be >= 1: " + maxRecords);
        if (maxBytes < 1) throw new IllegalArgumentException("maxBytes must be >= 1: " + maxBytes);
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
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

    /** Counters of the history: what was stored, evicted, dropped, and the bytes held now. */
    synchronized Map<String, Object> counters() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("accepted", accepted);
        c.put("kept", records.size());
        c.put("evicted", evicted);
        c.put("dropped", dropped.get());
        c.put("bytes", bytes);
        c.put("maxRecords", maxRecords);
        c.put("maxBytes", maxBytes);
        c.put("firstSeq", records.isEmpty() ? nextSeq : records.peekFirst().seq());
        c.put("lastSeq", nextSeq - 1);
        return c;
    }

    /** The kept records with a sequence number above {@code afterSeq}, at most {@code limit}, oldest first. */
    synchronized List<StoredRecord> after(long afterSeq, int limit) {
        List<StoredRecord> out = new ArrayList<>();
        for (StoredRecord r : records) {
            if (r.seq() > afterSeq) {
                out.add(r);
                if (out.size() >= limit) break;
            }
        }
        return out;
    }

    /** Every kept record, oldest first. */
    synchronized List<StoredRecord> all() {
        return new ArrayList<>(records);
    }

    /** The model table of every record stored so far (evicted ones included: a layer stays known). */
    synchronized ModelTable modelTable() {
        return model.table();
    }

    /** The latest per-neuron details of {@code layer}, or null. */
    synchronized StoredDetail detail(String layer) {
        return latestDetails.get(layer);
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

    private synchronized void store(Map<String, Object> record) {
        try {
            Map<String, Object> withoutDetails = new LinkedHashMap<>(record);
            Object details = withoutDetails.remove("details");
            long seq = nextSeq++;
            withoutDetails.put("seq", seq);
            byte[] bytesOf = json.writeValueAsBytes(withoutDetails);
            records.addLast(new StoredRecord(seq, bytesOf, withoutDetails));
            model.add(withoutDetails);
            bytes += bytesOf.length;
            accepted++;
            if (details instanceof Map<?, ?> d && d.get("layers") instanceof Map<?, ?> layers) {
                long step = record.get("step") instanceof Number n ? n.longValue() : -1;
                for (Map.Entry<?, ?> e : layers.entrySet()) {
                    JsonNode tree = json.valueToTree(e.getValue()); // a copy: live reports hold arrays
                    long size = json.writeValueAsBytes(tree).length;
                    StoredDetail old = latestDetails.put(String.valueOf(e.getKey()), new StoredDetail(step, tree, size));
                    bytes += size - (old == null ? 0 : old.bytes());
                }
            }
            while (records.size() > maxRecords || (bytes > maxBytes && records.size() > 1)) {
                StoredRecord gone = records.removeFirst();
                bytes -= gone.json().length;
                evicted++;
            }
        } catch (JsonProcessingException | RuntimeException e) {
            dropped.incrementAndGet(); // a record Jackson cannot write is lost to the page, never to training
        }
    }

    /** One kept record: its sequence number, its JSON and the map it was written from (without details). */
    record StoredRecord(long seq, byte[] json, Map<String, Object> record) {
        String type() {
            return String.valueOf(record.get("type"));
        }
    }

    /** The latest per-neuron details of one layer, from the analysis at {@code step}. */
    record StoredDetail(long step, JsonNode detail, long bytes) {}
}
