package dev.noether.exporter;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what a class logs through {@link System.Logger}, which goes to java.util.logging when no other
 * backend is installed (as in these tests).
 */
final class CapturedLog extends Handler implements AutoCloseable {
    private final Logger logger; // strong reference: JUL loggers are otherwise collectable
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    CapturedLog(Class<?> source) {
        this.logger = Logger.getLogger(source.getName());
        logger.addHandler(this);
    }

    List<LogRecord> atLevel(Level level) {
        return records.stream().filter(r -> r.getLevel().equals(level)).toList();
    }

    /** The message with its parameters filled in. */
    static String text(LogRecord r) {
        return new java.util.logging.SimpleFormatter().formatMessage(r);
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
