package dev.noether.exporter.page;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Map;

/** The one Jackson mapper of the page, and the typed reads of record fields that every endpoint needs. */
final class PageJson {
    // the fast double parser reads a long run's event log about twice as fast (most of a record is decimals)
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build()).disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private PageJson() {}

    /** A section of a record ({@code metrics}, {@code layers}, {@code pairs}) as a map, empty when absent. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> section(Map<String, Object> record, String name) {
        return record.get(name) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** {@code map.get(key)} as a finite double, or NaN when absent, not a number or not finite. */
    static double number(Map<String, Object> map, String key) {
        Object v = map.get(key);
        if (v instanceof Number n) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? d : Double.NaN;
        }
        return Double.NaN;
    }

    static long step(Map<String, Object> record) {
        return record.get("step") instanceof Number n ? n.longValue() : -1;
    }

    static double time(Map<String, Object> record) {
        return number(record, "time");
    }
}
