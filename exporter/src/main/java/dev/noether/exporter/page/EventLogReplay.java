package dev.noether.exporter.page;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Fills a {@link RunHistory} from an event log for the replay page. Unlike {@code EventLogReader}, which
 * fails on corruption, it shows what it can: a line that is not a JSON object (malformed, cut short,
 * binary garbage) is skipped and counted, and the first one is named. Records of older versions simply lack
 * some fields; the page shows what is there.
 */
public final class EventLogReplay {
    private static final TypeReference<Map<String, Object>> RECORD = new TypeReference<>() {};

    private EventLogReplay() {}

    /**
     * Reads the logs of several workers of one run into {@code history}, one line per worker on the page: each
     * log's files (rotated files oldest first, then the active one) in {@code logs}, keyed by the worker name to use
     * for records that do not carry {@code "worker"} themselves. The records of all logs go in by time.
     */
    public static ReplaySource readWorkers(java.util.Map<String, List<Path>> logs, RunHistory history) throws IOException {
        List<Map<String, Object>> all = new java.util.ArrayList<>();
        long lines = 0, skipped = 0;
        String firstSkipped = null;
        for (var log : logs.entrySet()) {
            List<Map<String, Object>> records = new java.util.ArrayList<>();
            ReplaySource one = parse(log.getValue(), records::add);
            lines += one.lines();
            skipped += one.skippedLines();
            if (firstSkipped == null) firstSkipped = one.firstSkipped();
            for (Map<String, Object> r : records) {
                r.putIfAbsent("worker", log.getKey());
                all.add(r);
            }
        }
        all.sort(java.util.Comparator.comparingDouble(r -> r.get("time") instanceof Number n ? n.doubleValue() : 0));
        all.forEach(history::offer);
        String name = String.join(", ", logs.keySet());
        return new ReplaySource(name, lines, all.size(), skipped, firstSkipped);
    }

    /** Reads {@code files} (rotated files oldest first, then the active one) into {@code history}. */
    public static ReplaySource read(List<Path> files, RunHistory history) throws IOException {
        return parse(files, history::offer);
    }

    private static ReplaySource parse(List<Path> files, java.util.function.Consumer<Map<String, Object>> history)
            throws IOException {
        long lines = 0, records = 0, skipped = 0;
        String firstSkipped = null;
        for (Path file : files) {
            int lineNumber = 0;
            // An InputStreamReader replaces invalid UTF-8 (the line then fails to parse and is counted);
            // Files.newBufferedReader would throw and lose the rest of the log.
            try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(file), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lineNumber++;
                    if (line.isBlank()) continue;
                    lines++;
                    try {
                        Map<String, Object> record = PageJson.MAPPER.readValue(line, RECORD);
                        if (record == null) throw new JsonProcessingException("null") { };
                        history.accept(record);
                        records++;
                    } catch (JsonProcessingException e) {
                        skipped++;
                        if (firstSkipped == null) firstSkipped = file.getFileName() + ":" + lineNumber;
                    }
                }
            }
        }
        String name = files.isEmpty() ? "" : files.get(files.size() - 1).toString();
        return new ReplaySource(name, lines, records, skipped, firstSkipped);
    }
}
