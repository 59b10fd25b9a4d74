package dev.noether.exporter.page;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The columns of one kind of record (a {@link RecordLane}): every scalar a record carries, by its path in the
 * record's nested maps ({@code metrics.loss}, {@code layers.fc1.layer.weight.norm}: at most three keys deep), gets
 * a column number the first time it appears, numbers and strings apart. A record is then stored as one array of
 * numbers and one of strings (absent: NaN or null), and written back to its nested shape by walking the tree of
 * paths in the order they first appeared. {@code type}, {@code step}, {@code time}, {@code seq} and
 * {@code details} are the history's own and never columns; lists and deeper maps are left out.
 */
final class RecordColumns {
    /** A leaf of the tree: a column of numbers ({@code number}) or of strings. */
    private record Leaf(boolean number, int column) {}

    private final Map<String, Object> tree = new LinkedHashMap<>(); // key → Leaf or a child tree
    private int numbers;
    private int strings;

    int numberColumns() {
        return numbers;
    }

    int stringColumns() {
        return strings;
    }

    /** Receives one scalar of a record with its column. */
    interface Sink {
        void number(int column, double value);

        void string(int column, String value);
    }

    /** Walks the record's scalars, adding columns for new paths, and hands each to {@code sink}. */
    void read(RecordValues record, Sink sink) {
        record.forEachValue(new RecordValues.Visitor() {
            @Override
            public void number(String k1, String k2, String k3, double value) {
                Leaf leaf = leaf(k1, k2, k3, true);
                if (leaf != null && Double.isFinite(value)) sink.number(leaf.column(), value);
            }

            @Override
            public void other(String k1, String k2, String k3, Object value) {
                if (!(value instanceof String s)) return; // lists and layer markers are not columns
                // the event log's spelling of non-finite numbers; the reports never carry them (absent: unmeasured)
                if (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity")) return;
                Leaf leaf = leaf(k1, k2, k3, false);
                if (leaf != null) sink.string(leaf.column(), s.intern()); // few distinct strings: share them
            }
        });
    }

    /** The leaf at the path, added when new; null when the path holds a map or the other kind of scalar. */
    private Leaf leaf(String k1, String k2, String k3, boolean number) {
        Map<String, Object> node = tree;
        String key = k1;
        if (k2 != null) {
            node = child(node, k1);
            key = k2;
            if (node != null && k3 != null) {
                node = child(node, k2);
                key = k3;
            }
            if (node == null) return null;
        }
        Object leaf = node.get(key);
        if (leaf == null) {
            leaf = number ? new Leaf(true, numbers++) : new Leaf(false, strings++);
            node.put(key, leaf);
        }
        return leaf instanceof Leaf l && l.number() == number ? l : null;
    }

    /** The map under {@code key}, added when new; null when a scalar holds the key (the first shape stays). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> node, String key) {
        Object child = node.get(key);
        if (child == null) {
            child = new LinkedHashMap<String, Object>();
            node.put(key, child);
        }
        return child instanceof Map<?, ?> ? (Map<String, Object>) child : null;
    }

    /** The nested maps of one stored point's values: numbers from {@code values} (NaN: absent), strings from {@code text}. */
    Map<String, Object> write(double[] values, String[] text) {
        Map<String, Object> out = new LinkedHashMap<>();
        write(tree, values, text, out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void write(Map<String, Object> node, double[] values, String[] text, Map<String, Object> out) {
        for (Map.Entry<String, Object> e : node.entrySet()) {
            if (e.getValue() instanceof Leaf leaf) {
                if (leaf.number()) {
                    if (values != null && leaf.column() < values.length && !Double.isNaN(values[leaf.column()])) {
                        out.put(e.getKey(), values[leaf.column()]);
                    }
                } else if (text != null && leaf.column() < text.length && text[leaf.column()] != null) {
                    out.put(e.getKey(), text[leaf.column()]);
                }
            } else {
                Map<String, Object> child = new LinkedHashMap<>();
                write((Map<String, Object>) e.getValue(), values, text, child);
                if (!child.isEmpty()) {
                    out.put(e.getKey(), child);
                }
            }
        }
    }
}
