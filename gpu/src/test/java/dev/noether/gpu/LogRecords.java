package dev.noether.gpu;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects what the {@code dev.noether.gpu} loggers write (the JDK's System.Logger goes to java.util.logging). */
final class LogRecords extends Handler implements AutoCloseable {
    private static final Logger GPU = Logger.getLogger("dev.noether.gpu");
    final List<LogRecord> records = new CopyOnWriteArrayList<>();

    static LogRecords capture() {
        LogRecords handler = new LogRecords();
        GPU.addHandler(handler);
        return handler;
    }

    List<String> messages() {
        return records.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList();
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        GPU.removeHandler(this);
    }
}
