package dev.noether.exporter.page;

/** Where a replayed history came from: the event log and how many of its lines were skipped. */
public record ReplaySource(String file, long lines, long records, long skippedLines, String firstSkipped) {}
