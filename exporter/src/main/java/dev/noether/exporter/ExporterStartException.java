package dev.noether.exporter;

/** The exporter could not start, typically because its port is taken; the message says what to change. */
public final class ExporterStartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ExporterStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
