package dev.noether.exporter;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The active file of an event log: appends whole lines straight to the operating system (no user-space
 * buffer, so a killed process loses at most the line being written) and rotates by size. Not
 * thread-safe: only the log's writer thread touches it.
 */
final class RotatingFile implements Closeable {
    private static final System.Logger LOG = System.getLogger(EventLog.class.getName());

    private final Path path;
    private final long maxBytes;
    private final int maxFiles;
    private FileChannel channel;
    private long size;

    RotatingFile(Path path, long maxBytes, int maxFiles) {
        this.path = path;
        this.maxBytes = maxBytes;
        this.maxFiles = maxFiles;
    }

    /** Appends {@code line} (which ends with a line break), opening or rotating the file first if needed. */
    void write(byte[] line) throws IOException {
        if (channel == null) open();
        if (size > 0 && size + line.length > maxBytes) rotate();
        ByteBuffer buffer = ByteBuffer.wrap(line);
        try {
            while (buffer.hasRemaining()) channel.write(buffer);
        } catch (IOException e) {
            // Part of the line may be on disk: drop the channel so the next write reopens the file and
            // cuts that fragment off, keeping every line of the file whole.
            closeQuietly();
            throw e;
        }
        size += line.length;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            FileChannel c = channel;
            channel = null;
            c.close();
        }
    }

    private void open() throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        FileChannel c = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            long end = endOfLastCompleteLine(c);
            long fragment = c.size() - end;
            if (fragment > 0) {
                // Left by a run that was killed mid-line: appending after it would glue two records together.
                c.truncate(end);
                LOG.log(System.Logger.Level.INFO, "Event log {0}: removed an incomplete last line ({1} bytes) "
                        + "left by an interrupted run", path, fragment);
            }
            c.position(end);
            size = end;
            channel = c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Position just after the last line break, 0 if there is none. */
    private static long endOfLastCompleteLine(FileChannel c) throws IOException {
        long size = c.size();
        ByteBuffer chunk = ByteBuffer.allocate(8192);
        long pos = size;
        while (pos > 0) {
            int n = (int) Math.min(chunk.capacity(), pos);
            pos -= n;
            chunk.clear().limit(n);
            while (chunk.hasRemaining()) {
                if (c.read(chunk, pos + chunk.position()) < 0) break;
            }
            for (int i = chunk.position() - 1; i >= 0; i--) {
                if (chunk.get(i) == '\n') return pos + i + 1;
            }
        }
        return 0;
    }

    private void rotate() throws IOException {
        close();
        if (maxFiles == 1) {
            Files.deleteIfExists(path);
        } else {
            // run.8 -> run.9, ..., run.1 -> run.2, run -> run.1; the former run.9 is replaced (deleted).
            for (int i = maxFiles - 1; i >= 2; i--) {
                Path older = LogFiles.rotated(path, i - 1);
                if (Files.exists(older)) {
                    Files.move(older, LogFiles.rotated(path, i), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(path, LogFiles.rotated(path, 1), StandardCopyOption.REPLACE_EXISTING);
        }
        open();
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException ignored) {
            // the write already failed; that failure is the one reported
        }
    }
}
