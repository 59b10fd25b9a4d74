package dev.noether.exporter;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Optional;

/**
 * Settings of an {@link EventLog}: rotation, queue size, and where to count lost records.
 *
 * <pre>{@code
 * EventLogOptions options = EventLogOptions.builder()
 *         .maxBytesPerFile(16 * 1024 * 1024)
 *         .maxFiles(4)
 *         .registry(meterRegistry)   // counts lost records in noether.errors{stage="eventlog"}
 *         .build();
 * }</pre>
 */
public final class EventLogOptions {
    /** 64 MiB: a few hours of per-step lines of a mid-sized model, still easy to open in an editor. */
    public static final long DEFAULT_MAX_BYTES_PER_FILE = 64L * 1024 * 1024;
    /** The active file plus 9 rotated ones. */
    public static final int DEFAULT_MAX_FILES = 10;
    /** Records waiting for the writer; beyond this, new records are dropped rather than block. */
    public static final int DEFAULT_QUEUE_CAPACITY = 8192;

    private final long maxBytesPerFile;
    private final int maxFiles;
    private final int queueCapacity;
    private final MeterRegistry registry;

    private EventLogOptions(Builder b) {
        this.maxBytesPerFile = b.maxBytesPerFile;
        this.maxFiles = b.maxFiles;
        this.queueCapacity = b.queueCapacity;
        this.registry = b.registry;
    }

    /** The defaults: 64 MiB per file, 10 files, a queue of 8192 records, no meter registry. */
    public static EventLogOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A file is rotated before a record would make it larger than this (a larger record gets a file of its own). */
    public long maxBytesPerFile() {
        return maxBytesPerFile;
    }

    /** How many files are kept, the active one included; the oldest rotated file is deleted beyond this. */
    public int maxFiles() {
        return maxFiles;
    }

    public int queueCapacity() {
        return queueCapacity;
    }

    /** Where lost records are counted as {@code noether.errors{stage="eventlog"}}, if anywhere. */
    public Optional<MeterRegistry> registry() {
        return Optional.ofNullable(registry);
    }

    /** A copy of these options counting errors in {@code registry} unless one was already chosen. */
    EventLogOptions withDefaultRegistry(MeterRegistry registry) {
        if (this.registry != null) return this;
        Builder b = toBuilder();
        b.registry = registry;
        return b.build();
    }

    private Builder toBuilder() {
        return builder().maxBytesPerFile(maxBytesPerFile).maxFiles(maxFiles).queueCapacity(queueCapacity)
                .registry(registry);
    }

    @Override
    public String toString() {
        return "EventLogOptions[maxBytesPerFile=" + maxBytesPerFile + ", maxFiles=" + maxFiles
                + ", queueCapacity=" + queueCapacity + ", registry=" + (registry != null) + "]";
    }

    /** Builds {@link EventLogOptions}; every setter validates at once. */
    public static final class Builder {
        private long maxBytesPerFile = DEFAULT_MAX_BYTES_PER_FILE;
        private int maxFiles = DEFAULT_MAX_FILES;
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private MeterRegistry registry;

        private Builder() {}

        public Builder maxBytesPerFile(long bytes) {
            if (bytes <= 0) throw new IllegalArgumentException("maxBytesPerFile must be positive: " + bytes);
            this.maxBytesPerFile = bytes;
            return this;
        }

        public Builder maxFiles(int files) {
            if (files < 1) throw new IllegalArgumentException("maxFiles must be at least 1: " + files);
            this.maxFiles = files;
            return this;
        }

        public Builder queueCapacity(int records) {
            if (records < 1) throw new IllegalArgumentException("queueCapacity must be at least 1: " + records);
            this.queueCapacity = records;
            return this;
        }

        /** Counts lost records in {@code noether.errors{stage="eventlog"}} of this registry (null: nowhere). */
        public Builder registry(MeterRegistry registry) {
            this.registry = registry;
            return this;
        }

        public EventLogOptions build() {
            return new EventLogOptions(this);
        }
    }
}
