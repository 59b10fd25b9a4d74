package dev.noether.exporter.page;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

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
    private static final int BATCH = 512;

    private EventLogReplay() {}

    /** One batch of lines, parsed: the records in order, and the skipped lines' numbers. */
    private record Parsed(String file, List<FlatRecord> records, List<Integer> skipped, int lines) {}

    /**
     * Reads the logs of several workers of one run into {@code history}, one line per worker on the page: each
     * log's files (rotated files oldest first, then the active one) in {@code logs}, keyed by the worker name to use
     * for records that do not carry {@code "worker"} themselves. The records of all logs go in by time.
     */
    public static ReplaySource readWorkers(Map<String, List<Path>> logs, RunHistory history) throws IOException {
        List<FlatRecord> all = new ArrayList<>();
        long lines = 0, skipped = 0;
        String firstSkipped = null;
        for (Map.Entry<String, List<Path>> log : logs.entrySet()) {
            String worker = log.getKey();
            ReplaySource one = parse(log.getValue(), r -> all.add(r.withWorkerIfAbsent(worker)));
            lines += one.lines();
            skipped += one.skippedLines();
            if (firstSkipped == null) firstSkipped = one.firstSkipped();
        }
        all.sort(Comparator.comparingDouble(r -> Double.isNaN(r.time()) ? 0 : r.time()));
        all.forEach(history::offer);
        return new ReplaySource(String.join(", ", logs.keySet()), lines, all.size(), skipped, firstSkipped);
    }

    /** Reads {@code files} (rotated files oldest first, then the active one) into {@code history}. */
    public static ReplaySource read(List<Path> files, RunHistory history) throws IOException {
        return parse(files, history::offer);
    }

    /** Parses {@code files} on every core and hands the records to {@code sink} in order, on the caller's thread. */
    private static ReplaySource parse(List<Path> files, Consumer<FlatRecord> sink) throws IOException {
        long lines = 0, records = 0, skipped = 0;
        String firstSkipped = null;
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        ExecutorService parsers = Executors.newFixedThreadPool(threads + 1, r -> {
            Thread t = new Thread(r, "noether-replay-parse");
            t.setDaemon(true);
            return t;
        });
        // one thread reads the lines and hands batches to the others to parse; this one stores them, in order
        BlockingQueue<Future<Parsed>> inFlight = new ArrayBlockingQueue<>(2 * threads);
        Future<?> reading = parsers.submit(() -> {
            readBatches(files, parsers, inFlight);
            return null;
        });
        try {
            while (true) {
                Parsed parsed = inFlight.take().get();
                if (parsed == END) break;
                for (FlatRecord record : parsed.records()) sink.accept(record);
                lines += parsed.lines();
                records += parsed.records().size();
                skipped += parsed.skipped().size();
                if (firstSkipped == null && !parsed.skipped().isEmpty()) {
                    firstSkipped = parsed.file() + ":" + parsed.skipped().get(0);
                }
            }
            reading.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + files, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof UncheckedIOException io) throw io.getCause();
            throw new IOException("cannot read " + files + ": " + e.getCause(), e.getCause());
        } finally {
            parsers.shutdownNow();
        }
        String name = files.isEmpty() ? "" : files.get(files.size() - 1).toString();
        return new ReplaySource(name, lines, records, skipped, firstSkipped);
    }

    private static final Parsed END = new Parsed("", List.of(), List.of(), 0);

    /** Reads every file in batches of lines, queues their parsing in order, and ends with {@link #END}. */
    private static void readBatches(List<Path> files, ExecutorService parsers, BlockingQueue<Future<Parsed>> inFlight)
            throws IOException, InterruptedException {
        try {
            for (Path file : files) {
                String name = file.getFileName().toString();
                // An InputStreamReader replaces invalid UTF-8 (the line then fails to parse and is counted);
                // Files.newBufferedReader would throw and lose the rest of the log.
                try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(file),
                        StandardCharsets.UTF_8), 1 << 16)) {
                    int lineNumber = 0;
                    while (true) {
                        List<String> batch = new ArrayList<>(BATCH);
                        int first = lineNumber + 1;
                        for (String line; batch.size() < BATCH && (line = in.readLine()) != null; ) {
                            batch.add(line);
                        }
                        lineNumber += batch.size();
                        if (!batch.isEmpty()) inFlight.put(parsers.submit(() -> parse(name, batch, first)));
                        if (batch.size() < BATCH) break;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            inFlight.put(CompletableFuture.failedFuture(e)); // the storing thread rethrows it
            return;
        }
        inFlight.put(CompletableFuture.completedFuture(END));
    }

    private static Parsed parse(String file, List<String> batch, int firstLine) {
        List<FlatRecord> records = new ArrayList<>(batch.size());
        List<Integer> skipped = new ArrayList<>();
        int lines = 0;
        for (int i = 0; i < batch.size(); i++) {
            String line = batch.get(i);
            if (line.isBlank()) continue;
            lines++;
            try {
                records.add(FlatRecord.parse(line));
            } catch (IOException e) { // JSON errors, and JSON values that are not objects
                skipped.add(firstLine + i);
            }
        }
        return new Parsed(file, records, skipped, lines);
    }
}
