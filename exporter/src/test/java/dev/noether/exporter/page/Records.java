package dev.noether.exporter.page;

import java.util.LinkedHashMap;
import java.util.Map;

/** Builds event-log records of the shape {@code NoetherReport.toRecord()} writes, for the page's unit tests. */
final class Records {
    private final Map<String, Object> record = new LinkedHashMap<>();

    private Records(String type, long step, double time) {
        record.put("type", type);
        record.put("model", "m");
        record.put("step", step);
        record.put("time", time);
        record.put("metrics", new LinkedHashMap<String, Object>());
        record.put("layers", new LinkedHashMap<String, Object>());
        record.put("pairs", new LinkedHashMap<String, Object>());
    }

    static Records step(long step, double time) {
        return new Records("step", step, time);
    }

    static Records analysis(long step, double time) {
        return new Records("analysis", step, time);
    }

    @SuppressWarnings("unchecked")
    Records metric(String name, Object value) {
        ((Map<String, Object>) record.get("metrics")).put(name, value);
        return this;
    }

    @SuppressWarnings("unchecked")
    Records layer(String layer, String name, Object value) {
        ((Map<String, Map<String, Object>>) record.get("layers")).computeIfAbsent(layer, k -> new LinkedHashMap<>()).put(name, value);
        return this;
    }

    @SuppressWarnings("unchecked")
    Records pair(String pair, String name, Object value) {
        ((Map<String, Map<String, Object>>) record.get("pairs")).computeIfAbsent(pair, k -> new LinkedHashMap<>()).put(name, value);
        return this;
    }

    /** The worker of a data-parallel run whose record this is, as the exporter adds it. */
    Records worker(String worker) {
        record.put("worker", worker);
        return this;
    }

    Records details(Map<String, Object> details) {
        record.put("details", details);
        return this;
    }

    Map<String, Object> build() {
        return record;
    }
}
