package dev.noether.exporter;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** What a {@link Route} answers: status, content type, extra headers and the whole body. */
record EndpointResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
    static final String PLAIN_TEXT = "text/plain; charset=utf-8";

    EndpointResponse(int status, String contentType, byte[] body) {
        this(status, contentType, body, Map.of());
    }

    static EndpointResponse text(int status, String text) {
        return new EndpointResponse(status, PLAIN_TEXT, text.getBytes(StandardCharsets.UTF_8));
    }
}
