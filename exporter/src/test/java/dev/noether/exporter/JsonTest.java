package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The event log's JSON (Jackson, configured for the record format) against hand-written JSON text. */
class JsonTest {
    private static String json(Object value) {
        try {
            return EventLogJson.write(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void writesEverySupportedValueType() {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("type", "step");
        record.put("step", 7L);
        record.put("int", 3);
        record.put("loss", 0.25);
        record.put("tiny", 1e-5);
        record.put("f", 0.1f);
        record.put("ok", true);
        record.put("none", null);
        record.put("layer", Map.of("m", 2));
        record.put("list", List.of(1, "a"));
        record.put("d", new double[] {1.5, -2});
        record.put("fa", new float[] {0.1f});
        record.put("ia", new int[] {1, 2});
        record.put("la", new long[] {});
        record.put("big", new BigDecimal("1E+3"));

        assertThat(json(record)).isEqualTo("{\"type\":\"step\",\"step\":7,\"int\":3,\"loss\":0.25,\"tiny\":1.0E-5,\"f\":0.1,"
                + "\"ok\":true,\"none\":null,\"layer\":{\"m\":2},\"list\":[1,\"a\"],\"d\":[1.5,-2.0],\"fa\":[0.1],"
                + "\"ia\":[1,2],\"la\":[],\"big\":1E+3}");
    }

    @Test
    void nonFiniteNumbersBecomeStrings() {
        assertThat(json(new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}))
                .isEqualTo("[\"NaN\",\"Infinity\",\"-Infinity\"]");
        assertThat(json(Float.NaN)).isEqualTo("\"NaN\"");
        assertThat(json(new float[] {Float.NEGATIVE_INFINITY})).isEqualTo("[\"-Infinity\"]");
    }

    @Test
    void escapesStringsSoThatARecordStaysOneLine() {
        assertThat(json("a\"b\\c\nd\te\u0001\u2028")).isEqualTo("\"a\\\"b\\\\c\\nd\\te\\u0001\\u2028\"");
    }

    @Test
    void parsesWhatItWritesBack() {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("s", "x\"\n\u00e9\u2028");
        record.put("n", -12L);
        record.put("d", 6.02e23);
        record.put("arr", new double[] {0.5, Double.NaN});
        record.put("nested", Map.of("k", List.of(true, false)));
        record.put("null", null);

        Object parsed = EventLogJson.parse(json(record));

        assertThat(parsed).isInstanceOf(LinkedHashMap.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) parsed;
        assertThat(m.keySet()).containsExactly("s", "n", "d", "arr", "nested", "null");
        assertThat(m.get("s")).isEqualTo("x\"\n\u00e9\u2028");
        assertThat(m.get("n")).isEqualTo(-12L);
        assertThat(m.get("d")).isEqualTo(6.02e23);
        assertThat(m.get("arr")).isEqualTo(Arrays.asList(0.5, "NaN"));
        assertThat(m.get("nested")).isEqualTo(Map.of("k", List.of(true, false)));
        assertThat(m).containsEntry("null", null);
    }

    @Test
    void parsesNumbersAsTheGrammarSays() {
        assertThat(EventLogJson.parse("0")).isEqualTo(0L);
        assertThat(EventLogJson.parse("-0.5e-3")).isEqualTo(-0.0005);
        assertThat(EventLogJson.parse("1E2")).isEqualTo(100.0);
        assertThat(EventLogJson.parse("123456789012345678901")).isEqualTo(1.2345678901234568e20);
        assertThat(EventLogJson.parse(" \"\\u0041\\/\" ")).isEqualTo("A/");
    }

    @Test
    void rejectsMalformedJson() {
        for (String bad : new String[] {"{\"a\":1", "{\"a\" 1}", "[1,]", "01", "1.", "-", "tru", "\"a", "{} x", "{'a':1}", "NaN", ""}) {
            assertThatThrownBy(() -> EventLogJson.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
