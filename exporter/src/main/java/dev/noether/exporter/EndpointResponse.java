package dev.noether.exporter;

import java.nio.charset.StandardCharsets;

/** What a {@link Route} answers: status, content type and the whole body. */
record EndpointResponse(int status, String contentType, byte[] body) {
    static final String PLAIN_TEXT = "text/plain; charset=utf-8";

    static EndpointResponse text(int status, String text) {
        return new EndpointResponse(status, PLAIN_TEXT, text.getBytes(StandardCharsets.UTF_8));
    }
}
