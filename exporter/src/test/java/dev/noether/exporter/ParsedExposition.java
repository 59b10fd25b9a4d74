package dev.noether.exporter;

import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A Prometheus text 0.0.4 or OpenMetrics exposition read back, independently of client_java: the samples by name
 * and labels, and each family's HELP text and TYPE. Label values are unescaped; samples carry no timestamps or
 * exemplars (the exporter writes none).
 *
 * @param samples value of each sample (NaN compares equal to NaN, as {@link Double#equals} does)
 * @param help    HELP text by family name, still escaped as written
 * @param type    TYPE by family name
 */
record ParsedExposition(Map<Sample, Double> samples, Map<String, String> help, Map<String, String> type) {
    /** One sample: its name (with any suffix such as {@code _total}) and its labels by name. */
    record Sample(String name, SortedMap<String, String> labels) {}

    static ParsedExposition parse(String text) {
        Map<Sample, Double> samples = new HashMap<>();
        Map<String, String> help = new HashMap<>();
        Map<String, String> type = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.equals("# EOF")) {
                continue;
            }
            if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                String rest = line.substring(7);
                int space = rest.indexOf(' ');
                Map<String, String> target = line.startsWith("# HELP ") ? help : type;
                if (target.put(rest.substring(0, space), rest.substring(space + 1)) != null) {
                    throw new IllegalArgumentException("two " + line.substring(2, 6) + " lines for " + rest.substring(0, space));
                }
                continue;
            }
            if (line.startsWith("#")) {
                throw new IllegalArgumentException("unexpected comment: " + line);
            }
            Sample sample;
            int valueStart;
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            if (brace >= 0 && brace < space) {
                SortedMap<String, String> labels = new TreeMap<>();
                valueStart = labels(line, brace + 1, labels) + 1;
                sample = new Sample(line.substring(0, brace), labels);
            } else {
                sample = new Sample(line.substring(0, space), new TreeMap<>());
                valueStart = space;
            }
            if (line.charAt(valueStart) != ' ' || line.indexOf(' ', valueStart + 1) >= 0) {
                throw new IllegalArgumentException("not 'name{labels} value': " + line);
            }
            if (samples.put(sample, value(line.substring(valueStart + 1))) != null) {
                throw new IllegalArgumentException("sample written twice: " + line);
            }
        }
        return new ParsedExposition(samples, help, type);
    }

    /** Reads {@code name="value",...} from {@code from} into {@code labels}; returns the index of the closing brace. */
    private static int labels(String line, int from, Map<String, String> labels) {
        int i = from;
        while (line.charAt(i) != '}') {
            int eq = line.indexOf("=\"", i);
            String name = line.substring(i, eq);
            StringBuilder value = new StringBuilder();
            i = eq + 2;
            for (char c = line.charAt(i); c != '"'; c = line.charAt(i)) {
                if (c == '\\') {
                    char escaped = line.charAt(++i);
                    value.append(escaped == 'n' ? '\n' : escaped);
                } else {
                    value.append(c);
                }
                i++;
            }
            if (labels.put(name, value.toString()) != null) {
                throw new IllegalArgumentException("label " + name + " twice: " + line);
            }
            i++;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        return i;
    }

    private static double value(String s) {
        return switch (s) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s); // also reads NaN
        };
    }
}
