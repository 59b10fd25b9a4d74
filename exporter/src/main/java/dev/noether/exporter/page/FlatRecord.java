package dev.noether.exporter.page;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One event-log line parsed straight into paths and values, without the nested maps a generic parse builds: a
 * replay of a long run reads a million such lines, and building the maps was most of the work. Field names come
 * from Jackson's symbol table (shared, not copied per line). {@code details} (a few lines in fifty) are parsed as maps.
 */
final class FlatRecord implements RecordValues {
    private String type = "record";
    private long step = -1;
    private double time = Double.NaN;
    private Map<?, ?> details;
    private int size;
    private String[] k1 = new String[64];
    private String[] k2 = new String[64];
    private String[] k3 = new String[64];
    private double[] numbers = new double[64];
    private Object[] others = new Object[64]; // null: the entry is a number

    private FlatRecord() {}

    /**
     * Parses one line.
     *
     * @throws IOException when it is not a JSON object (malformed, cut short, another JSON value)
     */
    static FlatRecord parse(String line) throws IOException {
        FlatRecord r = new FlatRecord();
        try (JsonParser p = PageJson.MAPPER.getFactory().createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.FIELD_NAME) throw new IOException("not a JSON object");
                String key = p.currentName();
                JsonToken value = p.nextToken();
                switch (key) {
                    case "type" -> {
                        if (value == JsonToken.VALUE_STRING) r.type = p.getText();
                        else p.skipChildren();
                    }
                    case "step" -> {
                        if (value.isNumeric()) r.step = p.getNumberValue().longValue();
                        else p.skipChildren();
                    }
                    case "time" -> {
                        if (value.isNumeric() && Double.isFinite(p.getDoubleValue())) r.time = p.getDoubleValue();
                        else p.skipChildren();
                    }
                    case "details" -> {
                        if (value == JsonToken.START_OBJECT) r.details = PageJson.MAPPER.readValue(p, Map.class);
                        else p.skipChildren();
                    }
                    case "seq" -> p.skipChildren();
                    default -> r.read(p, value, key, null, null, 1);
                }
            }
        }
        return r;
    }

    private void read(JsonParser p, JsonToken t, String a, String b, String c, int depth) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                if (depth == 3) {
                    p.skipChildren();
                    return;
                }
                if (depth == 2) add(a, b, null, 0, NODE);
                for (JsonToken f = p.nextToken(); f != JsonToken.END_OBJECT; f = p.nextToken()) {
                    String key = p.currentName();
                    JsonToken value = p.nextToken();
                    if (depth == 1) read(p, value, a, key, null, 2);
                    else read(p, value, a, b, key, 3);
                }
            }
            case START_ARRAY -> add(a, b, c, 0, PageJson.MAPPER.readValue(p, List.class)); // old logs' shape lists
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> add(a, b, c, p.getDoubleValue(), null);
            case VALUE_STRING -> add(a, b, c, 0, p.getText());
            default -> { } // booleans and nulls carry nothing the page draws
        }
    }

    private void add(String a, String b, String c, double number, Object other) {
        if (size == k1.length) {
            int n = 2 * size;
            k1 = Arrays.copyOf(k1, n);
            k2 = Arrays.copyOf(k2, n);
            k3 = Arrays.copyOf(k3, n);
            numbers = Arrays.copyOf(numbers, n);
            others = Arrays.copyOf(others, n);
        }
        k1[size] = a;
        k2[size] = b;
        k3[size] = c;
        numbers[size] = number;
        others[size] = other;
        size++;
    }

    /** This record, carrying {@code "worker": worker} unless it names its worker itself (logs of older versions). */
    FlatRecord withWorkerIfAbsent(String worker) {
        for (int i = 0; i < size; i++) {
            if ("worker".equals(k1[i]) && k2[i] == null) {
                return this;
            }
        }
        add("worker", null, null, 0, worker);
        return this;
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public double time() {
        return time;
    }

    @Override
    public Map<?, ?> details() {
        return details;
    }

    @Override
    public void forEachValue(Visitor visitor) {
        for (int i = 0; i < size; i++) {
            if (others[i] == null) visitor.number(k1[i], k2[i], k3[i], numbers[i]);
            else visitor.other(k1[i], k2[i], k3[i], others[i]);
        }
    }
}
