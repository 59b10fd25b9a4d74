package dev.noether.exporter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The event log's JSON, by Jackson, in the record format of {@link EventLog}: maps, lists and primitive arrays
 * as JSON; doubles and floats in their {@code toString} spelling ({@code 1.0E-5}, {@code 0.1}); NaN and
 * infinities as the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"} (JSON has none, and Python's
 * {@code float()} reads these); enums by name; any other object as the string of its {@code toString()}; U+2028
 * and U+2029 escaped so a record stays one line for JavaScript readers. Reading gives maps, lists, {@code Long}
 * for integers and {@code Double} for other numbers.
 */
final class EventLogJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .addModule(new SimpleModule("noether-event-log").setSerializerModifier(new ToStringForBeans()))
            .build();

    static {
        MAPPER.getFactory().setCharacterEscapes(new LineSeparatorEscapes());
    }

    private EventLogJson() {}

    /** {@code value} as one line of JSON (no line break). */
    static String write(Object value) throws JsonProcessingException {
        return MAPPER.writeValueAsString(value);
    }

    /**
     * Parses one JSON value.
     *
     * @throws IllegalArgumentException when {@code json} is not exactly one valid JSON value
     */
    static Object parse(String json) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
        if (node == null || node.isMissingNode()) {
            throw new IllegalArgumentException("no JSON value");
        }
        return plain(node);
    }

    /** Jackson's tree as plain Java values, with integers as Long (a larger one as Double) and decimals as Double. */
    private static Object plain(JsonNode node) {
        if (node.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                map.put(e.getKey(), plain(e.getValue()));
            }
            return map;
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            node.forEach(element -> list.add(plain(element)));
            return list;
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? (Object) node.longValue() : (Object) node.doubleValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        return null;
    }

    /** Objects Jackson would write as beans (records, engine types) are written as their toString. */
    private static final class ToStringForBeans extends BeanSerializerModifier {
        @Override
        public JsonSerializer<?> modifySerializer(SerializationConfig config, BeanDescription description,
                                                  JsonSerializer<?> serializer) {
            Class<?> type = description.getBeanClass();
            boolean bean = serializer instanceof com.fasterxml.jackson.databind.ser.std.BeanSerializerBase
                    || serializer instanceof com.fasterxml.jackson.databind.ser.impl.UnknownSerializer;
            return bean && !type.isEnum() ? ToStringSerializer.instance : serializer;
        }
    }

    /** Jackson's standard escapes, plus U+2028 and U+2029 (line separators to JavaScript). */
    private static final class LineSeparatorEscapes extends CharacterEscapes {
        private final int[] escapes = CharacterEscapes.standardAsciiEscapesForJSON();

        @Override
        public int[] getEscapeCodesForAscii() {
            return escapes;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return ch == '\u2028' ? new SerializedString("\\u2028") : ch == '\u2029' ? new SerializedString("\\u2029") : null;
        }
    }
}
