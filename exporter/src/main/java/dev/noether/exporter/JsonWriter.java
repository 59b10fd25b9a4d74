package dev.noether.exporter;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;

/**
 * Serialises an event-log record (maps, lists, arrays, strings, numbers, booleans, null) as one line of
 * JSON.
 *
 * <p>JSON has no NaN or infinity, yet they are exactly what a diverging run produces and what the log
 * must keep; they are written as the strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"}
 * (the spellings of {@link Double#toString(double)}, which Python's {@code float()} and pandas accept).
 * Floats are written with {@link Float#toString(float)} so {@code 0.1f} stays {@code 0.1}. Values of
 * any other type are written as the JSON string of their {@code toString()}.
 */
final class JsonWriter {
    private JsonWriter() {}

    /** Appends {@code value} as JSON (no line break). */
    static void write(Object value, StringBuilder out) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            writeString(s, out);
        } else if (value instanceof Boolean b) {
            out.append(b.booleanValue());
        } else if (value instanceof Number n) {
            writeNumber(n, out);
        } else if (value instanceof Map<?, ?> map) {
            writeMap(map, out);
        } else if (value instanceof Collection<?> list) {
            writeCollection(list, out);
        } else if (value instanceof double[] a) {
            out.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) out.append(',');
                writeDouble(a[i], out);
            }
            out.append(']');
        } else if (value instanceof float[] a) {
            out.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) out.append(',');
                writeFloat(a[i], out);
            }
            out.append(']');
        } else if (value instanceof int[] a) {
            out.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) out.append(',');
                out.append(a[i]);
            }
            out.append(']');
        } else if (value instanceof long[] a) {
            out.append('[');
            for (int i = 0; i < a.length; i++) {
                if (i > 0) out.append(',');
                out.append(a[i]);
            }
            out.append(']');
        } else if (value.getClass().isArray()) {
            // Object[], boolean[], short[], ...: element by element through the general path.
            out.append('[');
            for (int i = 0, n = Array.getLength(value); i < n; i++) {
                if (i > 0) out.append(',');
                write(Array.get(value, i), out);
            }
            out.append(']');
        } else if (value instanceof Enum<?> e) {
            writeString(e.name(), out);
        } else {
            writeString(value.toString(), out);
        }
    }

    private static void writeMap(Map<?, ?> map, StringBuilder out) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!first) out.append(',');
            first = false;
            writeString(String.valueOf(e.getKey()), out);
            out.append(':');
            write(e.getValue(), out);
        }
        out.append('}');
    }

    private static void writeCollection(Collection<?> list, StringBuilder out) {
        out.append('[');
        boolean first = true;
        for (Object o : list) {
            if (!first) out.append(',');
            first = false;
            write(o, out);
        }
        out.append(']');
    }

    private static void writeNumber(Number n, StringBuilder out) {
        if (n instanceof Double d) {
            writeDouble(d, out);
        } else if (n instanceof Float f) {
            writeFloat(f, out);
        } else if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte
                || n instanceof BigInteger || n instanceof BigDecimal) {
            out.append(n); // toString of these is valid JSON (BigDecimal may use an exponent: 1E+3)
        } else {
            writeDouble(n.doubleValue(), out); // AtomicLong, DoubleAdder, ...: via their double value
        }
    }

    private static void writeDouble(double d, StringBuilder out) {
        if (Double.isFinite(d)) {
            out.append(d); // Double.toString: "1.0E-5" is a valid JSON number
        } else {
            out.append('"').append(d).append('"'); // "NaN", "Infinity", "-Infinity"
        }
    }

    private static void writeFloat(float f, StringBuilder out) {
        if (Float.isFinite(f)) {
            out.append(f);
        } else {
            out.append('"').append(f).append('"');
        }
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    // Control characters must be escaped; U+2028/2029 too, so a line stays one line for
                    // every JavaScript-based reader.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
