package dev.noether.exporter;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Prints an event log as a table: one row per record, one column per numeric value.
 *
 * <pre>
 * java -jar noether-exporter.jar run.jsonl [--type step] [--columns loss,layers.*.weight_norm] [--max-columns 8]
 * </pre>
 *
 * Nested objects are flattened with dots ({@code {"layers":{"l1":{"rank":3}}}} gives the column
 * {@code layers.l1.rank}); arrays (per-neuron data) are left out. Without {@code --columns} the table
 * shows {@code step} and the first {@code --max-columns} (default 8) other numeric columns in order of
 * appearance, skipping {@code time} (an epoch timestamp says little in a table). In {@code --columns},
 * {@code *} stands for one name segment.
 */
public final class EventLogSummary {
    static final int DEFAULT_MAX_COLUMNS = 8;
    private static final Set<String> NON_FINITE = Set.of("NaN", "Infinity", "-Infinity");
    private static final String USAGE = "usage: EventLogSummary <log.jsonl> [--type <record type>] "
            + "[--columns <a,b.c,layers.*.x>] [--max-columns <n>]";

    private EventLogSummary() {}

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) System.exit(status);
    }

    /** The command without {@code System.exit}: returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Path log = null;
        String type = null;
        List<String> columns = null;
        int maxColumns = DEFAULT_MAX_COLUMNS;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--type" -> type = args[++i];
                    case "--columns" -> columns = Arrays.asList(args[++i].split(","));
                    case "--max-columns" -> {
                        maxColumns = Integer.parseInt(args[++i]);
                        if (maxColumns < 0) throw new IllegalArgumentException("--max-columns " + maxColumns);
                    }
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    default -> {
                        if (args[i].startsWith("--") || log != null) throw new IllegalArgumentException(args[i]);
                        log = Path.of(args[i]);
                    }
                }
            }
        } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException e) {
            err.println(USAGE);
            return 2;
        }
        if (log == null) {
            err.println(USAGE);
            return 2;
        }
        if (LogFiles.inWritingOrder(log).isEmpty()) {
            err.println("no event log at " + log);
            return 1;
        }
        try {
            out.print(table(EventLogReader.readAll(log), type, columns, maxColumns));
            return 0;
        } catch (UncheckedIOException e) {
            err.println(e.getMessage());
            return 1;
        }
    }

    /**
     * The table of {@code records} of {@code type} (all types if null), with {@code columns} (patterns,
     * or null for the default choice), followed by one line saying how many records and columns there were.
     */
    static String table(List<Map<String, Object>> records, String type, List<String> columns, int maxColumns) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map<String, Object> record : records) {
            if (type != null && !type.equals(record.get("type"))) continue;
            Map<String, Object> flat = new LinkedHashMap<>();
            flatten("", record, flat);
            rows.add(flat);
        }
        Set<String> numeric = new LinkedHashSet<>();
        for (Map<String, Object> row : rows) {
            row.forEach((k, v) -> {
                if (isNumeric(v)) numeric.add(k);
            });
        }
        List<String> shown = new ArrayList<>();
        if (columns == null) {
            if (numeric.contains("step")) shown.add("step");
            for (String c : numeric) {
                if (shown.size() - (numeric.contains("step") ? 1 : 0) == maxColumns) break;
                if (!c.equals("step") && !c.equals("time")) shown.add(c);
            }
        } else {
            for (String pattern : columns) {
                String trimmed = pattern.trim();
                Pattern p = Pattern.compile(Arrays.stream(trimmed.split("\\*", -1))
                        .map(Pattern::quote).reduce((a, b) -> a + "[^.]*" + b).orElse(""));
                for (String c : numeric) {
                    if (p.matcher(c).matches() && !shown.contains(c)) shown.add(c);
                }
                // A column asked for by name stays, empty, so that a typo is visible.
                if (!trimmed.contains("*") && !shown.contains(trimmed)) shown.add(trimmed);
            }
        }
        int numericShown = shown.size();
        if (type == null && rows.stream().anyMatch(r -> r.get("type") != null)) shown.add(0, "type");
        return render(rows, shown) + String.format(Locale.ROOT, "# %d records, %d numeric columns, %d shown%s%n",
                rows.size(), numeric.size(), numericShown,
                columns == null && numeric.size() > numericShown ? " (choose with --columns, e.g. --columns 'step,layers.*.loss')" : "");
    }

    private static String render(List<Map<String, Object>> rows, List<String> columns) {
        List<String[]> cells = new ArrayList<>();
        int[] width = new int[columns.size()];
        for (int c = 0; c < columns.size(); c++) width[c] = columns.get(c).length();
        for (Map<String, Object> row : rows) {
            String[] line = new String[columns.size()];
            for (int c = 0; c < columns.size(); c++) {
                line[c] = cell(row.get(columns.get(c)));
                width[c] = Math.max(width[c], line[c].length());
            }
            cells.add(line);
        }
        StringBuilder sb = new StringBuilder();
        appendLine(sb, columns.toArray(new String[0]), width);
        for (String[] line : cells) appendLine(sb, line, width);
        return sb.toString();
    }

    private static void appendLine(StringBuilder sb, String[] cells, int[] width) {
        for (int c = 0; c < cells.length; c++) {
            if (c > 0) sb.append("  ");
            sb.append(" ".repeat(width[c] - cells[c].length())).append(cells[c]);
        }
        sb.append(System.lineSeparator());
    }

    /** Nested maps become dotted keys; lists (per-neuron arrays) are left out. */
    static void flatten(String prefix, Map<?, ?> map, Map<String, Object> out) {
        map.forEach((k, v) -> {
            String key = prefix + k;
            if (v instanceof Map<?, ?> nested) {
                flatten(key + ".", nested, out);
            } else if (!(v instanceof List<?>)) {
                out.put(key, v);
            }
        });
    }

    private static boolean isNumeric(Object v) {
        return v instanceof Number || NON_FINITE.contains(v);
    }

    static String cell(Object v) {
        if (v == null) return "-";
        if (v instanceof Long || v instanceof Integer) return v.toString();
        if (v instanceof Number n) return format(n.doubleValue());
        return v.toString();
    }

    /** Six significant digits, plain notation for moderate magnitudes, scientific otherwise. */
    static String format(double d) {
        if (!Double.isFinite(d)) return Double.toString(d);
        if (d == 0) return "0";
        double abs = Math.abs(d);
        if (abs >= 1e-4 && abs < 1e9) {
            return new BigDecimal(d).round(new MathContext(6)).stripTrailingZeros().toPlainString();
        }
        return String.format(Locale.ROOT, "%.5e", d);
    }
}
