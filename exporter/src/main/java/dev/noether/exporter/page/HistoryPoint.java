package dev.noether.exporter.page;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One stored point of a {@link RecordLane}: a record at full resolution ({@code count == 1}), or a bucket of
 * consecutive records with, per column, the mean, minimum and maximum of the records that carry it, the first and
 * last step, time and sequence number, and the latest string of each string column. Written back as a record
 * (its step and time the bucket's means), plus {@code count}, {@code seqFirst}, {@code stepFirst},
 * {@code stepLast}, {@code timeFirst}, {@code timeLast}, {@code min} and {@code max} for a bucket.
 */
final class HistoryPoint {
    /** Bytes of the object itself and its reference in a list, on a 64-bit JVM with compressed references. */
    private static final long OBJECT_BYTES = 128;

    long seqFirst;
    long seq;
    /** The history's revision when this point last changed: the page fetches what changed since its last poll. */
    long rev;
    int count;
    long stepFirst;
    long stepLast;
    double stepSum;
    double timeFirst = Double.NaN;
    double timeLast = Double.NaN;
    /** Σ (t − timeFirst): epoch seconds are ~1.7e9, so a plain sum would lose the bucket's sub-second spread. */
    double timeOffsetSum;
    int timeCount;
    double[] mean;
    double[] min; // null while count == 1
    double[] max;
    int[] present;
    String[] text;

    /** A record at full resolution. */
    static HistoryPoint record(long seq, long step, double time, double[] values, String[] text) {
        HistoryPoint p = new HistoryPoint();
        p.seqFirst = seq;
        p.seq = seq;
        p.count = 1;
        p.stepFirst = step;
        p.stepLast = step;
        p.stepSum = step;
        if (!Double.isNaN(time)) {
            p.timeFirst = time;
            p.timeLast = time;
            p.timeCount = 1;
        }
        p.mean = values;
        p.text = text;
        return p;
    }

    boolean isBucket() {
        return count > 1;
    }

    double meanStep() {
        return stepSum / count;
    }

    double meanTime() {
        return timeCount == 0 ? Double.NaN : timeFirst + timeOffsetSum / timeCount;
    }

    /** Merges {@code later} (the records right after this point's) into this point, which becomes a bucket. */
    void absorb(HistoryPoint later) {
        if (count == 1) {
            min = mean.clone();
            max = mean.clone();
            present = new int[mean.length];
            for (int c = 0; c < mean.length; c++) {
                present[c] = Double.isNaN(mean[c]) ? 0 : 1;
            }
            mean = mean.clone(); // a full record's arrays may be shared with the record it came from
            text = text == null ? null : text.clone();
        }
        int columns = Math.max(mean.length, later.mean.length);
        if (mean.length < columns) {
            grow(columns);
        }
        for (int c = 0; c < later.mean.length; c++) {
            int n = later.count == 1 ? (Double.isNaN(later.mean[c]) ? 0 : 1) : later.present[c];
            if (n == 0) {
                continue;
            }
            double lo = later.count == 1 ? later.mean[c] : later.min[c];
            double hi = later.count == 1 ? later.mean[c] : later.max[c];
            int total = present[c] + n;
            mean[c] = present[c] == 0 ? later.mean[c] : mean[c] + (later.mean[c] - mean[c]) * n / total;
            min[c] = present[c] == 0 ? lo : Math.min(min[c], lo);
            max[c] = present[c] == 0 ? hi : Math.max(max[c], hi);
            present[c] = total;
        }
        if (later.text != null) {
            if (text == null || text.length < later.text.length) {
                text = text == null ? new String[later.text.length] : Arrays.copyOf(text, later.text.length);
            }
            for (int c = 0; c < later.text.length; c++) {
                if (later.text[c] != null) {
                    text[c] = later.text[c];
                }
            }
        }
        count += later.count;
        seq = later.seq;
        stepLast = later.stepLast;
        stepSum += later.stepSum;
        if (later.timeCount > 0) {
            if (timeCount == 0) {
                timeFirst = later.timeFirst;
            }
            timeLast = later.timeLast;
            timeOffsetSum += later.timeOffsetSum + later.timeCount * (later.timeFirst - timeFirst);
            timeCount += later.timeCount;
        }
    }

    private void grow(int columns) {
        int from = mean.length;
        mean = Arrays.copyOf(mean, columns);
        min = Arrays.copyOf(min, columns);
        max = Arrays.copyOf(max, columns);
        present = Arrays.copyOf(present, columns);
        Arrays.fill(mean, from, columns, Double.NaN);
        Arrays.fill(min, from, columns, Double.NaN);
        Arrays.fill(max, from, columns, Double.NaN);
    }

    /** A new bucket of consecutive points (the originals are left as they are). */
    static HistoryPoint merge(List<HistoryPoint> points) {
        HistoryPoint first = points.get(0);
        HistoryPoint out = HistoryPoint.record(first.seqFirst, first.stepFirst, Double.NaN, first.mean, first.text);
        out.seq = first.seq;
        out.rev = first.rev;
        out.count = first.count;
        out.stepLast = first.stepLast;
        out.stepSum = first.stepSum;
        out.timeFirst = first.timeFirst;
        out.timeLast = first.timeLast;
        out.timeOffsetSum = first.timeOffsetSum;
        out.timeCount = first.timeCount;
        if (first.count > 1) {
            out.mean = first.mean.clone();
            out.min = first.min.clone();
            out.max = first.max.clone();
            out.present = first.present.clone();
            out.text = first.text == null ? null : first.text.clone();
        }
        for (int i = 1; i < points.size(); i++) {
            out.absorb(points.get(i));
            out.rev = Math.max(out.rev, points.get(i).rev);
        }
        return out;
    }

    /** Heap bytes of this point: the object, its arrays (strings are shared and not counted). */
    long bytes() {
        return OBJECT_BYTES + doubles(mean) + doubles(min) + doubles(max) + (present == null ? 0 : 16 + 4L * present.length)
                + (text == null ? 0 : 16 + 4L * text.length);
    }

    private static long doubles(double[] a) {
        return a == null ? 0 : 16 + 8L * a.length;
    }

    /** The point as a record of {@code type}, in the nested shape {@code columns} describes. */
    Map<String, Object> toRecord(String type, RecordColumns columns) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", type);
        out.put("seq", seq);
        if (count == 1) {
            out.put("step", stepFirst);
            if (timeCount > 0) {
                out.put("time", timeFirst);
            }
        } else {
            out.put("step", meanStep());
            if (timeCount > 0) {
                out.put("time", meanTime());
            }
        }
        out.putAll(columns.write(mean, text));
        if (count > 1) {
            out.put("count", count);
            out.put("seqFirst", seqFirst);
            out.put("stepFirst", stepFirst);
            out.put("stepLast", stepLast);
            if (timeCount > 0) {
                out.put("timeFirst", timeFirst);
                out.put("timeLast", timeLast);
            }
            out.put("min", columns.write(min, null));
            out.put("max", columns.write(max, null));
        }
        return out;
    }
}
