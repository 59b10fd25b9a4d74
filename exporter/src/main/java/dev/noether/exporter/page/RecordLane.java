package dev.noether.exporter.page;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The whole history of one kind of record ({@code step} or {@code analysis}) in bounded memory: the first record,
 * then buckets of older records, then the latest records at full resolution.
 *
 * <p>A record enters the full-resolution tail; when the tail holds more than {@code maxRecent}, its oldest record
 * moves into the last bucket, or starts a new one when the last holds {@code width} records. When there are more
 * than {@code maxBuckets} buckets, neighbours merge pairwise and {@code width} doubles (a compaction), so the
 * buckets always cover the older part of the run evenly, at {@code maxBuckets / 2} to {@code maxBuckets} points
 * however long it is. The first record is never merged, so every chart starts where the run started. A bucket
 * keeps the mean, minimum and maximum of every column ({@link HistoryPoint}). Not thread-safe: the
 * {@link RunHistory} calls it under its lock.
 */
final class RecordLane {
    final String type;
    final RecordColumns columns = new RecordColumns();
    private HistoryPoint first;
    private final ArrayList<HistoryPoint> buckets = new ArrayList<>();
    private final ArrayDeque<HistoryPoint> recent = new ArrayDeque<>();
    private int maxRecent;
    private int maxBuckets;
    private long width = 1;
    private long bytes;
    private long records;
    private int compactions;

    RecordLane(String type, int maxRecent, int maxBuckets) {
        this.type = type;
        this.maxRecent = maxRecent;
        this.maxBuckets = maxBuckets;
    }

    /** Adds one record (its values already in {@code point}); {@code revision} numbers the changes. */
    void add(HistoryPoint point, LongSupplier revision) {
        point.rev = revision.getAsLong();
        records++;
        bytes += point.bytes();
        if (first == null) {
            first = point;
            return;
        }
        recent.addLast(point);
        while (recent.size() > maxRecent) {
            ageOldest(revision);
        }
    }

    /** Moves the oldest full-resolution record into the buckets. */
    private void ageOldest(LongSupplier revision) {
        HistoryPoint oldest = recent.pollFirst();
        HistoryPoint open = buckets.isEmpty() ? null : buckets.get(buckets.size() - 1);
        if (open == null || open.count >= width) {
            buckets.add(oldest); // unchanged: the page already has it
        } else {
            bytes -= open.bytes() + oldest.bytes();
            open.absorb(oldest);
            open.rev = revision.getAsLong();
            bytes += open.bytes();
        }
        if (buckets.size() > maxBuckets) {
            compact(revision);
        }
    }

    /** Merges neighbouring buckets pairwise and doubles the bucket width. */
    private void compact(LongSupplier revision) {
        List<HistoryPoint> merged = new ArrayList<>((buckets.size() + 1) / 2);
        for (int i = 0; i < buckets.size(); i += 2) {
            HistoryPoint a = buckets.get(i);
            bytes -= a.bytes();
            if (i + 1 < buckets.size()) {
                HistoryPoint b = buckets.get(i + 1);
                bytes -= b.bytes();
                a = HistoryPoint.merge(List.of(a, b));
            }
            a.rev = revision.getAsLong();
            bytes += a.bytes();
            merged.add(a);
        }
        buckets.clear();
        buckets.addAll(merged);
        width *= 2;
        compactions++;
    }

    /**
     * Lowers the bounds by about a quarter when the history's bytes are over their limit: first the full-resolution
     * tail, down to {@code minRecent}, then the buckets, down to {@code minBuckets}. False when both are at their minimum.
     */
    boolean shrink(int minRecent, int minBuckets, LongSupplier revision) {
        if (recent.size() > minRecent) {
            maxRecent = Math.max(minRecent, recent.size() * 3 / 4);
            while (recent.size() > maxRecent) {
                ageOldest(revision);
            }
            return true;
        }
        if (buckets.size() > minBuckets) {
            maxBuckets = Math.max(minBuckets, buckets.size() / 2);
            while (buckets.size() > maxBuckets) {
                compact(revision);
            }
            return true;
        }
        return false;
    }

    long bytes() {
        return bytes;
    }

    long records() {
        return records;
    }

    int compactions() {
        return compactions;
    }

    long bucketWidth() {
        return width;
    }

    int recentSize() {
        return recent.size();
    }

    int bucketCount() {
        return buckets.size();
    }

    int maxRecent() {
        return maxRecent;
    }

    int maxBuckets() {
        return maxBuckets;
    }

    /** Every point, oldest first: the first record, the buckets, the full-resolution tail. */
    List<HistoryPoint> points() {
        List<HistoryPoint> out = new ArrayList<>(size());
        if (first != null) {
            out.add(first);
        }
        out.addAll(buckets);
        out.addAll(recent);
        return out;
    }

    int size() {
        return (first == null ? 0 : 1) + buckets.size() + recent.size();
    }

    /** The newest point, or null. */
    HistoryPoint last() {
        return !recent.isEmpty() ? recent.peekLast() : !buckets.isEmpty() ? buckets.get(buckets.size() - 1) : first;
    }

    /** The points newest first (no copy of the tail's deque order needed by callers that stop early). */
    Iterable<HistoryPoint> newestFirst() {
        List<HistoryPoint> all = points();
        java.util.Collections.reverse(all);
        return all;
    }

    /**
     * The points that overlap steps [{@code from}, {@code to}], at most {@code limit} of them: when there are more,
     * the first and last points (the run's or the range's ends) stay as they are and the others merge into buckets
     * of equal step width between them.
     */
    List<HistoryPoint> range(long from, long to, int limit) {
        List<HistoryPoint> in = new ArrayList<>();
        for (HistoryPoint p : points()) {
            if (p.stepLast >= from && p.stepFirst <= to) {
                in.add(p);
            }
        }
        if (in.size() <= limit) {
            return in;
        }
        List<HistoryPoint> out = new ArrayList<>(limit);
        HistoryPoint head = in.get(0);
        HistoryPoint tail = in.get(in.size() - 1);
        out.add(head);
        int groups = Math.max(1, limit - 2);
        List<HistoryPoint> middle = in.subList(1, in.size() - 1);
        double lo = middle.get(0).stepFirst;
        double span = middle.get(middle.size() - 1).stepLast - lo + 1;
        List<HistoryPoint> group = new ArrayList<>();
        int current = -1;
        for (HistoryPoint p : middle) {
            double centre = (p.stepFirst + p.stepLast) / 2.0;
            int g = (int) Math.min(groups - 1, Math.floor((centre - lo) / span * groups));
            if (g != current && !group.isEmpty()) {
                out.add(group.size() == 1 ? group.get(0) : HistoryPoint.merge(group));
                group = new ArrayList<>();
            }
            current = g;
            group.add(p);
        }
        if (!group.isEmpty()) {
            out.add(group.size() == 1 ? group.get(0) : HistoryPoint.merge(group));
        }
        out.add(tail);
        return out;
    }

    /** The point as a record (see {@link HistoryPoint#toRecord}). */
    Map<String, Object> toRecord(HistoryPoint p) {
        return p.toRecord(type, columns);
    }

    /** A new full-resolution point of {@code record}'s values, its columns added to this lane's. */
    HistoryPoint pointOf(long seq, RecordValues record) {
        double[][] values = {new double[Math.max(8, columns.numberColumns())]};
        String[][] text = {null};
        Arrays.fill(values[0], Double.NaN);
        columns.read(record, new RecordColumns.Sink() {
            @Override
            public void number(int column, double value) {
                if (column >= values[0].length) {
                    int from = values[0].length;
                    values[0] = Arrays.copyOf(values[0], Math.max(column + 1, 2 * from));
                    Arrays.fill(values[0], from, values[0].length, Double.NaN);
                }
                values[0][column] = value;
            }

            @Override
            public void string(int column, String value) {
                if (text[0] == null || column >= text[0].length) {
                    text[0] = text[0] == null ? new String[Math.max(column + 1, columns.stringColumns())]
                            : Arrays.copyOf(text[0], Math.max(column + 1, columns.stringColumns()));
                }
                text[0][column] = value;
            }
        });
        double[] v = values[0].length == columns.numberColumns() ? values[0] : Arrays.copyOf(values[0], columns.numberColumns());
        return HistoryPoint.record(seq, record.step(), record.time(), v, text[0]);
    }
}
