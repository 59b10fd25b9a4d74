package dev.noether.exporter.page;

import java.util.Map;

/**
 * One event-log record as the history reads it: its {@code type}, {@code step}, {@code time}, {@code details}, and
 * its other values by path (at most three keys deep: {@code model}, {@code metrics.loss},
 * {@code layers.fc1.layer.weight.norm}). Either a parsed map (a live report's record) or a {@link FlatRecord} (a
 * replayed line, parsed without building maps).
 */
interface RecordValues {
    /** Receives the values of a record by path; keys past the path's depth are null. */
    interface Visitor {
        void number(String k1, String k2, String k3, double value);

        /** A string, a list, or {@link #NODE} when an object opens at depth two (a layer or a pair, maybe empty). */
        void other(String k1, String k2, String k3, Object value);
    }

    /** Marks an object at depth two: a layer or pair that the record names, even without values. */
    Object NODE = new Object();

    String type();

    long step();

    double time();

    /** The {@code details} object, or null. */
    Map<?, ?> details();

    void forEachValue(Visitor visitor);

    /** A record map (the shape of {@code NoetherReport.toRecord()}). */
    static RecordValues of(Map<String, Object> record) {
        return new RecordValues() {
            @Override
            public String type() {
                return record.get("type") instanceof String t ? t : "record";
            }

            @Override
            public long step() {
                return PageJson.step(record);
            }

            @Override
            public double time() {
                return PageJson.time(record);
            }

            @Override
            public Map<?, ?> details() {
                return record.get("details") instanceof Map<?, ?> d ? d : null;
            }

            @Override
            public void forEachValue(Visitor visitor) {
                for (Map.Entry<String, Object> e : record.entrySet()) {
                    String k1 = e.getKey();
                    if (!isOwnKey(k1)) visit(visitor, k1, null, null, e.getValue(), 1);
                }
            }
        };
    }

    /** Keys that are the history's own, never values: type, step, time, seq, details. */
    static boolean isOwnKey(String key) {
        return key.equals("type") || key.equals("step") || key.equals("time") || key.equals("seq") || key.equals("details");
    }

    private static void visit(Visitor visitor, String k1, String k2, String k3, Object value, int depth) {
        if (value instanceof Map<?, ?> map) {
            if (depth == 3) return;
            if (depth == 2) visitor.other(k1, k2, null, NODE);
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = String.valueOf(e.getKey());
                if (depth == 1) visit(visitor, k1, key, null, e.getValue(), 2);
                else visit(visitor, k1, k2, key, e.getValue(), 3);
            }
        } else if (value instanceof Number n) {
            visitor.number(k1, k2, k3, n.doubleValue());
        } else if (value != null && !(value instanceof Boolean)) {
            visitor.other(k1, k2, k3, value);
        }
    }
}
