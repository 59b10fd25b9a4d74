package dev.noether.exporter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Names of an event log's files: the active {@code run.jsonl} and its rotated predecessors
 * {@code run.1.jsonl} (newest) to {@code run.<n>.jsonl} (oldest), like logrotate.
 */
final class LogFiles {
    private LogFiles() {}

    /** The {@code index}-th rotated file of {@code log} ({@code index >= 1}). */
    static Path rotated(Path log, int index) {
        String name = log.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String rotated = dot > 0
                ? name.substring(0, dot) + "." + index + name.substring(dot)
                : name + "." + index;
        return log.resolveSibling(rotated);
    }

    /** The files of {@code log} that exist, oldest first: the order in which records were written. */
    static List<Path> inWritingOrder(Path log) {
        Path dir = log.toAbsolutePath().getParent();
        String name = log.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String extension = dot > 0 ? name.substring(dot) : "";
        Pattern rotatedName = Pattern.compile(Pattern.quote(stem) + "\\.(\\d+)" + Pattern.quote(extension));

        TreeMap<Integer, Path> byIndex = new TreeMap<>(Comparator.reverseOrder());
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> siblings = Files.list(dir)) {
                siblings.forEach(p -> {
                    Matcher m = rotatedName.matcher(p.getFileName().toString());
                    if (m.matches() && m.group(1).length() < 10) byIndex.put(Integer.parseInt(m.group(1)), p);
                });
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + dir, e);
            }
        }
        List<Path> files = new ArrayList<>(byIndex.values());
        if (Files.exists(log)) files.add(log);
        return files;
    }

    /** The name of a worker's log in a shared folder: {@code <run>.<worker>.jsonl}, or {@code <worker>.jsonl}. */
    static String workerLogName(String run, String worker) {
        String name = (run == null ? "" : run + ".") + (worker == null ? "noether" : worker);
        return name.replaceAll("[^A-Za-z0-9_.-]", "_") + ".jsonl";
    }

    /**
     * The event logs in {@code folder}: every {@code *.jsonl} that is not a rotated file of another one there
     * ({@code run.1.jsonl} beside {@code run.jsonl}), by name.
     */
    static List<Path> logsIn(Path folder) {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(folder)) {
            List<Path> all = files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).sorted().toList();
            java.util.Set<Path> rotated = new java.util.HashSet<>();
            for (Path log : all) {
                for (int i = 1; ; i++) {
                    Path r = rotated(log, i);
                    if (!all.contains(r)) break;
                    rotated.add(r);
                }
            }
            return all.stream().filter(f -> !rotated.contains(f)).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("Cannot list " + folder + ": " + e.getMessage(), e);
        }
    }
}
