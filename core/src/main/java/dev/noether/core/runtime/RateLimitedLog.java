package dev.noether.core.runtime;

import java.lang.System.Logger.Level;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Logs a problem once per key and interval, so that a failure repeated on every step of a million-step
 * run writes a handful of lines, not a million. Uses the JDK's platform logger: no logging dependency.
 */
final class RateLimitedLog {
    private static final System.Logger LOG = System.getLogger("dev.noether");

    private final long intervalNanos;
    private final Ticker ticker;
    private final ConcurrentMap<String, Long> lastLogged = new ConcurrentHashMap<>();

    RateLimitedLog(long intervalNanos, Ticker ticker) {
        this.intervalNanos = intervalNanos;
        this.ticker = ticker;
    }

    /**
     * Logs {@code message} unless {@code key} was logged within the interval: one line, at WARNING; the stack
     * trace of {@code error}, if any, only at DEBUG, since a condition Noether counts needs no trace on the
     * user's console.
     */
    void warn(String key, String message, Throwable error) {
        long now = ticker.read();
        Long previous = lastLogged.get(key);
        if (previous != null && now - previous < intervalNanos) {
            return;
        }
        lastLogged.put(key, now);
        LOG.log(Level.WARNING, message);
        if (error != null && LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, message, error);
        }
    }

    /** Logs {@code message} at INFO the first time {@code key} is seen, never again. */
    void once(String key, String message) {
        if (lastLogged.putIfAbsent("once:" + key, ticker.read()) == null) {
            LOG.log(Level.INFO, message);
        }
    }

    static void info(String message) {
        LOG.log(Level.INFO, message);
    }
}
