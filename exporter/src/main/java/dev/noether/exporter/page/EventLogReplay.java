package dev.noether.exporter.page;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Fills a {@link RunHistory} from an event log for the replay page. Unlike {@code EventLogReader}, which
 * fails on corruption, it shows what it can: a line that is not a JSON object (malformed, cut short,
 * binary garbage) is skipped and counted, and the first one is named. Records of older versions simply lack
 * some fields; the page shows what is there.
 *
 * <p>A long run's log is large (a million observed steps are more than a gigabyte), so the lines are parsed in
 * batches on every core while the caller's thread stores the parsed records in order.
 */
public final class EventLogReplay {
    private static final TypeReference<Map<String, Object>> RECORD = new TypeReference<>() {};
    private static final int BATCH = 512;

    private EventLogReplay() {}

    /** One batch of lines, parsed: the records in order, and the skipped lines' numbers. */
    private record Parsed(List<Map<String, Object>> records, List<Integer> skipped, int lines) {}

    /** Reads {@code files} (rotated files oldest first, then the active one) into {@code history}. */
    public static ReplaySource read(List<Path> files, RunHistory history) throws IOException {
        long lines = 0, records = 0, skipped = 0;
        String firstSkipped = null;
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        ExecutorService parsers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "noether-replay-parse");
            t.setDaemon(true);
            return t;
        });
        try {
            for (Path file : files) {
                // An InputStreamReader replaces invalid UTF-8 (the line then fails to parse and is counted);
                // Files.newBufferedReader would throw and lose the rest of the log.
                try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(file),
                        StandardCharsets.UTF_8), 1 << 16)) {
                    ArrayDeque<Future<Parsed>> inFlight = new ArrayDeque<>();
                    int lineNumber = 0;
                    boolean more = true;
                    while (more || !inFlight.isEmpty()) {
                        while (more && inFlight.size() < 2 * threads) {
                            List<String> batch = new ArrayList<>(BATCH);
                            int first = lineNumber + 1;
                            for (String line; batch.size() < BATCH && (line = in.readLine()) != null; ) {
                                batch.add(line);
                            }
                            lineNumber += batch.size();
                            more = batch.size() == BATCH;
                            if (!batch.isEmpty()) inFlight.add(parsers.submit(() -> parse(batch, first)));
                        }
                        if (inFlight.isEmpty()) break;
                        Parsed parsed = inFlight.poll().get();
                        for (Map<String, Object> record : parsed.records()) history.offer(record);
                        lines += parsed.lines();
                        records += parsed.records().size();
                        skipped += parsed.skipped().size();
                        if (firstSkipped == null && !parsed.skipped().isEmpty()) {
                            firstSkipped = file.getFileName() + ":" + parsed.skipped().get(0);
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + files, e);
        } catch (ExecutionException e) {
            throw new IOException("cannot parse " + files + ": " + e.getCause(), e.getCause());
        } finally {
            parsers.shutdownNow();
        }
        String name = files.isEmpty() ? "" : files.get(files.size() - 1).toString();
        return new ReplaySource(name, lines, records, skipped, firstSkipped);
    }

    private static Parsed parse(List<String> batch, int firstLine) {
        List<Map<String, Object>> records = new ArrayList<>(batch.size());
        List<Integer> skipped = new ArrayList<>();
        int lines = 0;
        for (int i = 0; i < batch.size(); i++) {
            String line = batch.get(i);
            if (line.isBlank()) continue;
            lines++;
            try {
                Map<String, Object> record = PageJson.MAPPER.readValue(line, RECORD);
                if (record == null) throw new JsonProcessingException("null") { };
                records.add(record);
            } catch (JsonProcessingException e) {
                skipped.add(firstLine + i);
            }
        }
        return new Parsed(records, skipped, lines);
    }
}
