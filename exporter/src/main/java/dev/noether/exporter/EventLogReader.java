package dev.noether.exporter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Reads an {@link EventLog} back: the rotated files oldest first, then the active file, one
 * {@code Map} per line (nested objects as maps, arrays as lists, integers as {@code Long}, other numbers
 * as {@code Double}, NaN and infinities as the strings {@code "NaN"}, {@code "Infinity"},
 * {@code "-Infinity"}).
 *
 * <p>The last line of a file that does not parse is taken to be cut short (a run killed with SIGKILL, or
 * a log still being written) and is skipped. Any other line that is not a JSON object is corruption and
 * fails the read with an {@link UncheckedIOException} naming the file and line.
 */
public final class EventLogReader {
    private EventLogReader() {}

    /** Every complete record of the log at {@code log} (the path given to {@link EventLog#open}). */
    public static List<Map<String, Object>> readAll(Path log) {
        try (Stream<Map<String, Object>> records = stream(log)) {
            return records.collect(Collectors.toList());
        }
    }

    /**
     * The records of the log at {@code log}, read lazily; close the stream (try-with-resources).
     * An absent log is an empty stream.
     */
    public static Stream<Map<String, Object>> stream(Path log) {
        RecordIterator records = new RecordIterator(LogFiles.inWritingOrder(log).iterator());
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(records, Spliterator.ORDERED | Spliterator.NONNULL),
                false).onClose(records::close);
    }

    /** Walks the files in order, looking one line ahead to know whether a line is the last of its file. */
    private static final class RecordIterator implements Iterator<Map<String, Object>> {
        private final Iterator<Path> files;
        private Path file;
        private BufferedReader reader;
        private int lineNumber;
        private String pendingLine; // read but not yet parsed
        private Map<String, Object> next;

        RecordIterator(Iterator<Path> files) {
            this.files = files;
        }

        @Override
        public boolean hasNext() {
            if (next == null) next = advance();
            return next != null;
        }

        @Override
        public Map<String, Object> next() {
            if (!hasNext()) throw new NoSuchElementException();
            Map<String, Object> record = next;
            next = null;
            return record;
        }

        private Map<String, Object> advance() {
            try {
                while (true) {
                    if (reader == null) {
                        if (!files.hasNext()) return null;
                        file = files.next();
                        reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
                        lineNumber = 0;
                        pendingLine = readLine();
                    }
                    String line = pendingLine;
                    if (line == null) {
                        close();
                        continue;
                    }
                    pendingLine = readLine();
                    if (line.isBlank()) continue;
                    Map<String, Object> record = parse(line, pendingLine == null);
                    if (record != null) return record;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read event log " + file, e);
            }
        }

        private String readLine() throws IOException {
            String line = reader.readLine();
            if (line != null) lineNumber++;
            return line;
        }

        @SuppressWarnings("unchecked")
        private Map<String, Object> parse(String line, boolean lastOfFile) {
            int number = pendingLine == null ? lineNumber : lineNumber - 1;
            try {
                Object value = EventLogJson.parse(line);
                if (value instanceof Map<?, ?> map) return (Map<String, Object>) map;
                if (lastOfFile) return null;
                throw corrupt(number, "a record must be a JSON object", null);
            } catch (IllegalArgumentException e) {
                if (lastOfFile) return null; // cut short by a kill or still being written
                throw corrupt(number, "not valid JSON: " + e.getMessage(), e);
            }
        }

        private UncheckedIOException corrupt(int line, String what, Exception cause) {
            String message = file + ":" + line + ": " + what;
            return new UncheckedIOException(message, new IOException(message, cause));
        }

        void close() {
            if (reader == null) return;
            try {
                reader.close();
            } catch (IOException ignored) {
                // read-only use: nothing was lost
            } finally {
                reader = null;
            }
        }
    }
}
