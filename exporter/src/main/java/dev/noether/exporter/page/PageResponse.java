package dev.noether.exporter.page;

import java.nio.charset.StandardCharsets;

/** One answer of the {@link TrainingPage}: status, content type and the whole body. */
public record PageResponse(int status, String contentType, byte[] body) {
    static PageResponse json(byte[] body) {
        return new PageResponse(200, "application/json; charset=utf-8", body);
    }

    static PageResponse text(int status, String text) {
        return new PageResponse(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }
}
