package dev.noether.agent;

/** One or more options are unknown or have bad values; the message names each with its source. */
final class InvalidAgentOptionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidAgentOptionException(String message) {
        super(message);
    }
}
