package dev.noether.exporter;

import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A JSON Lines log of training events: one JSON object per line, written by a background thread so
 * that {@link #append(Map)} never blocks and never throws into the training thread.
 *
 * <p><b>Format.</b> Each record is one line of UTF-8 JSON ending with {@code \n}. Values may be strings,
 * numbers, booleans, null, maps, lists and {@code double[]}, {@code float[]}, {@code int[]},
 * {@code long[]}. NaN and infinities, which JSON lacks, are written as the strings {@code "NaN"},
 * {@code "Infinity"} and {@code "-Infinity"}; other objects as the string of their {@code toString()}.
 *
 * <p><b>Durability.</b> Each line is handed to the operating system as soon as it is serialised (no
 * user-space buffer), so a process killed with SIGKILL leaves every completed line readable; at most
 * the line being written is cut short, and {@link EventLogReader} skips it. There is no fsync: a power
 * loss may lose the last seconds. Reopening a log appends to it, after removing such a cut-short line.
 *
 * <p><b>Rotation.</b> Before a line would make {@code run.jsonl} larger than
 * {@link EventLogOptions#maxBytesPerFile()}, it becomes {@code run.1.jsonl} (older ones shift to
 * {@code run.2.jsonl}, ...), keeping {@link EventLogOptions#maxFiles()} files in all.
 *
 * <p><b>Failures.</b> When the queue is full the record is dropped; when the file cannot be written
 * (disk full, unwritable path) the record is lost. Either way it is counted in {@link #lostRecords()}
 * and in {@code noether.errors{stage="eventlog"}} of the options' registry, and a single warning is
 * logged (through {@link System.Logger}) when the failure starts, not one per record. The writer keeps
 * trying, so the log resumes when the disk does.
 *
 * <p><b>Ownership.</b> The record is serialised later, on the writer thread: after {@code append} the
 * caller must not modify the map, its nested maps and lists, or its arrays.
 */
public final class EventLog implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventLog.class.getName());
    private static final long CLOSE_TIMEOUT_MILLIS = 10_000;
    // Queued by close() behind the last record, so the writer stops without waiting for a poll timeout.
    private static final Map<String, ?> END = java.util.Collections.unmodifiableMap(new java.util.HashMap<>()); // own identity

    private final Path path;
    private final BlockingQueue<Map<String, ?>> queue;
    private final RotatingFile file;
    private final Counter errors; // null when no registry was given
    private final Thread writer;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();
    private final AtomicBoolean warnedQueueFull = new AtomicBoolean();
    private volatile boolean closed;
    private boolean failing; // writer thread only

    private EventLog(Path path, EventLogOptions options) {
        this.path = path;
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.file = new RotatingFile(path, options.maxBytesPerFile(), options.maxFiles());
        this.errors = options.registry().map(r -> ErrorCounter.forStage(r, "eventlog")).orElse(null);
        this.writer = new Thread(this::writeLoop, "noether-eventlog-" + path.getFileName());
        this.writer.setDaemon(true);
    }

    /** Opens (or continues) the log at {@code path} with the {@link EventLogOptions#defaults() defaults}. */
    public static EventLog open(Path path) {
        return open(path, EventLogOptions.defaults());
    }

    /**
     * Opens (or continues) the log at {@code path}. Never fails because of the file system: a path that
     * cannot be written is reported as described in the class comment when the first record arrives.
     */
    public static EventLog open(Path path, EventLogOptions options) {
        EventLog log = new EventLog(Objects.requireNonNull(path, "path"), Objects.requireNonNull(options, "options"));
        log.writer.start();
        return log;
    }

    /**
     * Queues {@code record} for writing and returns at once.
     *
     * @return false if the record was dropped (queue full or log closed); it is then counted as lost
     */
    public boolean append(Map<String, ?> record) {
        Objects.requireNonNull(record, "record");
        if (closed) {
            countLost(1);
            return false;
        }
        if (queue.offer(record)) return true;
        countLost(1);
        if (warnedQueueFull.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "Event log {0}: the writer cannot keep up ({1} records queued); "
                    + "dropping records rather than slowing training. Counted in noether_errors_total'{'stage=\"eventlog\"'}'. "
                    + "Log less often or use a faster disk.", path, queue.size());
        }
        return false;
    }

    /** The active file. */
    public Path path() {
        return path;
    }

    /** Records written to the file so far. */
    public long writtenRecords() {
        return written.get();
    }

    /** Records dropped or not written because of an error. */
    public long lostRecords() {
        return lost.get();
    }

    /**
     * Writes what is queued, then closes the file. Waits at most 10 s for a stalled disk; records still
     * queued then are given up. Records appended after this are counted as lost.
     */
    @Override
    public void close() {
        closed = true;
        queue.offer(END); // if the queue is full the writer sees `closed` once it has drained it
        try {
            writer.join(CLOSE_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            LOG.log(System.Logger.Level.WARNING, "Event log {0}: the writer did not finish within {1} ms; "
                    + "{2} queued records are given up", path, CLOSE_TIMEOUT_MILLIS, queue.size());
        }
    }

    private void writeLoop() {
        try {
            while (true) {
                Map<String, ?> record;
                try {
                    record = queue.poll(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    break;
                }
                if (record == END || (record == null && closed)) break;
                if (record == null) continue;
                writeOne(record);
            }
        } finally {
            try {
                file.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Event log {0}: closing failed: {1}", path, e.toString());
            }
        }
    }

    private void writeOne(Map<String, ?> record) {
        byte[] bytes;
        try {
            bytes = (EventLogJson.write(record) + '\n').getBytes(StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // A record modified while queued, or one that contains itself: lose it, keep the log going.
            countLost(1);
            LOG.log(System.Logger.Level.WARNING, "Event log {0}: a record could not be serialised and was "
                    + "skipped ({1}); records must not change after append()", path, e.toString());
            return;
        }
        try {
            file.write(bytes);
            written.incrementAndGet();
            if (failing) {
                failing = false;
                LOG.log(System.Logger.Level.INFO, "Event log {0}: writing again ({1} records lost in all)",
                        path, lost.get());
            }
        } catch (IOException | RuntimeException e) {
            countLost(1);
            if (!failing) {
                failing = true;
                LOG.log(System.Logger.Level.WARNING, "Event log {0} cannot be written ({1}); its records are "
                        + "lost until it can, training and metrics continue. Counted in "
                        + "noether_errors_total'{'stage=\"eventlog\"'}'.", path, e.toString());
            }
        }
    }

    private void countLost(long n) {
        lost.addAndGet(n);
        if (errors != null) errors.increment(n);
    }
}
