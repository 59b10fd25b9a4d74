package dev.noether.examples.gallery;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The records of a figure's event log, as Noether wrote them ({@code NoetherReport.toRecord}): {@code type}
 * ({@code step} or {@code analysis}), {@code model}, {@code step}, {@code metrics}, {@code layers.<layer>},
 * {@code pairs.<pair>} and {@code details}. Lookups by path; an absent value is NaN, never a guess.
 */
final class Records {
    private final List<Map<String, Object>> all;

    Records(List<Map<String, Object>> all) {
        this.all = List.copyOf(all);
    }

    int size() {
        return all.size();
    }

    /** The step reports of {@code model} in step order. */
    List<Map<String, Object>> steps(String model) {
        return of(model, "step");
    }

    /** The heavy-analysis reports of {@code model} in step order. */
    List<Map<String, Object>> analyses(String model) {
        return of(model, "analysis");
    }

    /** The last record of {@code type} of {@code model}; fails when the run wrote none. */
    Map<String, Object> last(String model, String type) {
        List<Map<String, Object>> r = of(model, type);
        if (r.isEmpty()) {
            throw new IllegalStateException("the event log has no " + type + " record of model " + model);
        }
        return r.get(r.size() - 1);
    }

    private List<Map<String, Object>> of(String model, String type) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : all) {
            if (type.equals(r.get("type")) && model.equals(r.get("model"))) {
                out.add(r);
            }
        }
        return out;
    }

    /** A series over the records: x = their step, y = the number at {@code path}; records without it are left out. */
    static Series series(String name, List<Map<String, Object>> records, String... path) {
        List<double[]> points = new ArrayList<>();
        for (Map<String, Object> r : records) {
            double y = number(r, path);
            if (!Double.isNaN(y)) {
                points.add(new double[] {number(r, "step"), y});
            }
        }
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i)[0];
            y[i] = points.get(i)[1];
        }
        return new Series(name, x, y);
    }

    /** The number at {@code path} in the last of {@code records} that has one (the final state has no loss), or NaN. */
    static double lastNumber(List<Map<String, Object>> records, String... path) {
        for (int i = records.size() - 1; i >= 0; i--) {
            double v = number(records.get(i), path);
            if (!Double.isNaN(v)) {
                return v;
            }
        }
        return Double.NaN;
    }

    /** The number at {@code path} (maps by key), or NaN. */
    static double number(Map<String, Object> record, String... path) {
        Object v = get(record, path);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        return Double.NaN;
    }

    /** The string at {@code path}, or null. */
    static String text(Map<String, Object> record, String... path) {
        Object v = get(record, path);
        return v instanceof String s ? s : null;
    }

    /** The list of numbers at {@code path} as an array, or null. */
    static double[] numbers(Map<String, Object> record, String... path) {
        if (!(get(record, path) instanceof List<?> list)) {
            return null;
        }
        double[] out = new double[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i) instanceof Number n ? n.doubleValue() : Double.NaN;
        }
        return out;
    }

    /** The map at {@code path}, or null. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> record, String... path) {
        return get(record, path) instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    private static Object get(Map<String, Object> record, String... path) {
        Object v = record;
        for (String key : path) {
            if (!(v instanceof Map<?, ?> m)) {
                return null;
            }
            v = m.get(key);
        }
        return v;
    }
}
