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
    void read(Map<String, Object> record, Sink sink) {
        for (Map.Entry<String, Object> e : record.entrySet()) {
            String key = e.getKey();
            if (key.equals("type") || key.equals("step") || key.equals("time") || key.equals("seq") || key.equals("details")) {
                continue;
            }
            read(tree, key, e.getValue(), 1, sink);
        }
    }

    @SuppressWarnings("unchecked")
    private void read(Map<String, Object> node, String key, Object value, int depth, Sink sink) {
        if (value instanceof Map<?, ?> map) {
            if (depth == 3) {
                return;
            }
            Object child = node.get(key);
            if (child == null) {
                child = new LinkedHashMap<String, Object>();
                node.put(key, child);
            }
            if (!(child instanceof Map<?, ?>)) {
                return; // a scalar elsewhere under this path: keep the first shape
            }
            for (Map.Entry<?, ?> e : map.entrySet()) {
                read((Map<String, Object>) child, String.valueOf(e.getKey()), e.getValue(), depth + 1, sink);
            }
            return;
        }
        double number;
        String string = null;
        if (value instanceof Number n) {
            number = n.doubleValue();
        } else if (value instanceof String s) {
            // the event log's spelling of non-finite numbers; the reports never carry them (absent means unmeasured)
            if (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity")) {
                return;
            }
            number = Double.NaN;
            string = s;
        } else {
            return; // booleans, lists, null
        }
        Object leaf = node.get(key);
        if (leaf == null) {
            leaf = string == null ? new Leaf(true, numbers++) : new Leaf(false, strings++);
            node.put(key, leaf);
        }
        if (!(leaf instanceof Leaf l) || l.number() != (string == null)) {
            return; // the path holds a map, or the other kind of scalar
        }
        if (l.number()) {
            if (Double.isFinite(number)) {
                sink.number(l.column(), number);
            }
        } else {
            sink.string(l.column(), string.intern()); // few distinct strings (phases, symmetries, names): share them
        }
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
