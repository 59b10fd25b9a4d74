package dev.noether.exporter;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One family's text in one text format, as client_java's writer writes it: the writer writes the family once with
 * every value 0, and that text is kept as the header lines (HELP, TYPE) and, for each series, the start of its
 * line up to the value. A scrape writes the header, then each start, the series' value as the writer formats a
 * double, and a newline. Names, labels and help are so escaped and quoted exactly as the writer does it.
 */
final class PrebuiltFamilyText {
    private static final byte[] EOF = "# EOF\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ONE = {'1'};
    private static final PrebuiltFamilyText UNWRITABLE = new PrebuiltFamilyText(null, null, null, false);

    private final byte[] header;
    private final byte[][] starts;
    private final List<PrebuiltSeriesCollector.Series> series;
    private final boolean info;

    private PrebuiltFamilyText(byte[] header, byte[][] starts, List<PrebuiltSeriesCollector.Series> series, boolean info) {
        this.header = header;
        this.starts = starts;
        this.series = series;
        this.info = info;
    }

    /**
     * The text of {@code series} (in the order of {@code zeros}' data points, the labels' order) as {@code writer}
     * writes {@code zeros}, their snapshot with every value 0. Unwritable unless that text is header lines, then
     * exactly one line per series ending with the value (0.0, or 1 for an info series), then at most "# EOF".
     */
    static PrebuiltFamilyText of(ExpositionFormatWriter writer, boolean info, List<PrebuiltSeriesCollector.Series> series,
                                 MetricSnapshot zeros) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out, MetricSnapshots.of(zeros));
        byte[] text = out.toByteArray();
        int end = text.length;
        if (endsWith(text, end, EOF)) {
            end -= EOF.length;
        }
        int headerEnd = 0;
        while (headerEnd < end && text[headerEnd] == '#') {
            headerEnd = lineEnd(text, headerEnd) + 1;
        }
        byte[] value = (info ? "1\n" : "0.0\n").getBytes(StandardCharsets.US_ASCII);
        byte[][] starts = new byte[series.size()][];
        int at = headerEnd;
        for (int i = 0; i < starts.length; i++) {
            if (at >= end || text[at] == '#') {
                return UNWRITABLE;
            }
            int next = lineEnd(text, at) + 1;
            if (!endsWith(text, next, value) || text[next - value.length - 1] != ' ') {
                return UNWRITABLE;
            }
            starts[i] = Arrays.copyOfRange(text, at, next - value.length);
            at = next;
        }
        if (at != end) {
            return UNWRITABLE; // more lines than series: created timestamps, exemplars, another layout
        }
        return new PrebuiltFamilyText(Arrays.copyOf(text, headerEnd), starts, series, info);
    }

    /** False when the writer's text did not have the expected shape, and this text must not be written. */
    boolean writable() {
        return header != null;
    }

    /** Writes the family with its series' current values. */
    void write(OutputStream out) throws IOException {
        if (starts.length == 0) {
            return; // the writer writes nothing for a family without series
        }
        out.write(header);
        for (int i = 0; i < starts.length; i++) {
            out.write(starts[i]);
            out.write(info ? ONE : value(series.get(i).value().getAsDouble()));
            out.write('\n');
        }
    }

    /** A double as client_java's text writers write it. */
    private static byte[] value(double d) {
        if (d == Double.POSITIVE_INFINITY) {
            return "+Inf".getBytes(StandardCharsets.US_ASCII);
        }
        if (d == Double.NEGATIVE_INFINITY) {
            return "-Inf".getBytes(StandardCharsets.US_ASCII);
        }
        return Double.toString(d).getBytes(StandardCharsets.US_ASCII);
    }

    private static int lineEnd(byte[] text, int from) {
        for (int i = from; i < text.length; i++) {
            if (text[i] == '\n') {
                return i;
            }
        }
        return text.length - 1;
    }

    private static boolean endsWith(byte[] text, int end, byte[] suffix) {
        if (end < suffix.length) {
            return false;
        }
        for (int i = 0; i < suffix.length; i++) {
            if (text[end - suffix.length + i] != suffix[i]) {
                return false;
            }
        }
        return true;
    }
}
