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

    /** Reads {@code files} (rotated files oldest first, then the active one) into {@code history}. */
    public static ReplaySource read(List<Path> files, RunHistory history) throws IOException {
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
                        history.offer(record);
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
