package dev.noether.exporter;

import dev.noether.core.runtime.NoetherReportListener;
import dev.noether.exporter.page.PageResponse;
import dev.noether.exporter.page.RunHistory;
import dev.noether.exporter.page.TrainingPage;
import dev.noether.gpu.NvmlGpuMetrics;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Noether's built-in exporter: a Prometheus endpoint over a {@link PrometheusMeterRegistry}, an optional
 * JSONL {@link EventLog} and optional pushes to a Prometheus Pushgateway.
 *
 * <pre>{@code
 * try (NoetherExporter exporter = NoetherExporter.builder()
 *         .port(9464)                                   // 0: any free port, see url()
 *         .commonTags("run", "r1", "worker", "0")
 *         .eventLog(Path.of("noether.jsonl"))
 *         .start()) {
 *     binder.bindTo(exporter.registry());
 *     train();
 * }
 * }</pre>
 *
 * <p>Feed it reports with {@link #reportListener()}: they go to the event log (if any) and to the training page.
 *
 * <p>HTTP paths: {@code GET /} (the training page, with its assets and {@code /api/...} JSON, see
 * {@link TrainingPage}), {@code GET /metrics} (Prometheus text 0.0.4, or OpenMetrics 1.0.0 when the Accept
 * header prefers {@code application/openmetrics-text}) and {@code GET /healthz} ({@code ok}). Unknown paths
 * answer 404, methods other than GET and HEAD 405.
 *
 * <p>The endpoint binds 127.0.0.1 unless {@link Builder#host(String)} says otherwise; to let a
 * Prometheus on another machine scrape it, set {@code host("0.0.0.0")} (all interfaces) or the address of
 * one interface, and protect the port with a firewall or a reverse proxy: there is no authentication.
 *
 * <p>Unless {@link Builder#gpuMetrics(boolean)} turns them off, the registry also gets the GPU gauges of
 * {@link NvmlGpuMetrics} (utilization, memory, power, temperature per GPU, read through NVML every 5 s); on a
 * machine without NVIDIA GPU there are none, and one INFO line says so.
 *
 * <p>Every scrape and push reads the registry under {@code ScrapeConsistency.read}, so it shows whole
 * reports only.
 */
public final class NoetherExporter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NoetherExporter.class.getName());
    /** Default port; 9464 is the port OpenTelemetry and Micrometer examples use for Prometheus. */
    public static final int DEFAULT_PORT = 9464;
    public static final String DEFAULT_HOST = "127.0.0.1";

    private final PrometheusMeterRegistry registry;
    private final boolean ownsRegistry;
    private final HttpEndpoint http;
    private final EventLog eventLog; // null when none
    private final PushGatewayClient pushGateway; // null when none
    private final ScheduledExecutorService pushScheduler; // null unless periodic pushes
    private final RunHistory history;
    private final ReportSink reports;
    private final NvmlGpuMetrics gpuMetrics; // null when turned off
    private volatile TargetFile targets; // null when none
    private final AtomicBoolean closed = new AtomicBoolean();

    private NoetherExporter(PrometheusMeterRegistry registry, boolean ownsRegistry, HttpEndpoint http,
            EventLog eventLog, PushGatewayClient pushGateway, ScheduledExecutorService pushScheduler,
            RunHistory history, NvmlGpuMetrics gpuMetrics, String worker) {
        this.history = history;
        this.reports = new ReportSink(eventLog, history, worker);
        this.gpuMetrics = gpuMetrics;
        this.registry = registry;
        this.ownsRegistry = ownsRegistry;
        this.http = http;
        this.eventLog = eventLog;
        this.pushGateway = pushGateway;
        this.pushScheduler = pushScheduler;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The registry behind the endpoint: bind Noether's meters (and any others) to it. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The bound base URL, e.g. {@code http://127.0.0.1:9464/}, with the real port when 0 was asked for. */
    public URI url() {
        InetSocketAddress address = http.address();
        return URI.create("http://" + HttpEndpoint.hostPort(address.getAddress().getHostAddress(), address.getPort()) + "/");
    }

    /** The training page's URL (the same as {@link #url()}: the page is served at {@code /}). */
    public URI pageUrl() {
        return url();
    }

    /**
     * The listener to add to Noether's DJL or DL4J listener (or any {@code NoetherMonitor}): every report goes
     * to the event log, when one is configured, and to the training page's bounded history. It only queues,
     * so it returns at once on the training thread.
     */
    public NoetherReportListener reportListener() {
        return reports;
    }

    /** This process's {@code file_sd} target file, if {@link Builder#targets(Path)} was set. */
    public Optional<Path> targetFile() {
        TargetFile t = targets;
        return t == null ? Optional.empty() : Optional.of(t.path());
    }

    /** The event log, if {@link Builder#eventLog(Path)} was set. */
    public Optional<EventLog> eventLog() {
        return Optional.ofNullable(eventLog);
    }

    /**
     * Stops periodic pushes, pushes a last time (if a Pushgateway is set), stops the GPU sampling, closes the
     * event log after writing what is queued, stops the HTTP endpoint, and closes the registry if the exporter
     * created it. Never throws; calling it again does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        if (targets != null) targets.close(); // first: the scraper stops finding a target that is going away
        if (pushScheduler != null) {
            // not shutdownNow: interrupting a periodic push in flight would count it as a failed push
            pushScheduler.shutdown();
            try {
                pushScheduler.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (pushGateway != null) pushGateway.push(); // the final push: what a short job leaves behind
        if (gpuMetrics != null) gpuMetrics.close();
        if (eventLog != null) eventLog.close();
        http.close();
        history.close();
        if (ownsRegistry) registry.close();
    }

    /** The routes of the training page, on the same endpoint as /metrics. */
    static void addPage(Map<String, Route> routes, TrainingPage page) {
        for (String path : TrainingPage.paths()) {
            routes.put(path, (headers, query) -> response(page.get(path, query)));
        }
    }

    private static EndpointResponse response(PageResponse r) {
        // The page loads nothing from another origin, and says so to the browser.
        Map<String, String> headers = Map.of("Cache-Control", "no-store",
                "Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
                "X-Content-Type-Options", "nosniff");
        return new EndpointResponse(r.status(), r.contentType(), r.body(), headers);
    }

    /** Immutable settings of the exporter, fixed by {@link #start()}. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private PrometheusMeterRegistry registry;
        private Tags commonTags = Tags.empty();
        private Path eventLogPath;
        private EventLogOptions eventLogOptions = EventLogOptions.defaults();
        private String pushAddress;
        private String pushJob;
        private Duration pushEvery;
        private int pageRecords = RunHistory.DEFAULT_MAX_RECORDS;
        private long pageBytes = RunHistory.DEFAULT_MAX_BYTES;
        private boolean gpuMetrics = true;
        private String run;
        private String worker;
        private Path targetsDir;

        private Builder() {}

        /**
         * The run this process belongs to: the common tag {@code run=<run>} on every meter, the target file's
         * {@code run} label and part of a per-worker event log's name. Setting it gives the process a {@code worker}
         * too ({@link #worker(String)}).
         */
        public Builder run(String run) {
            this.run = nonEmpty(run, "run");
            return this;
        }

        /**
         * The worker this process is within its run: the common tag {@code worker=<worker>}. Default, once {@link #run}
         * or {@link #targets} is set: {@code <host>-<pid>} ({@code WorkerIdentity.process()}), unique on any cluster.
         */
        public Builder worker(String worker) {
            this.worker = nonEmpty(worker, "worker");
            return this;
        }

        /**
         * Writes this process's Prometheus {@code file_sd} target file into {@code dir} (a folder the scraper reads,
         * shared by the workers of a run): its URL, {@code run}, {@code worker} and {@code model} labels; written
         * atomically, removed at {@link NoetherExporter#close()}, and recognizable as stale after a crash (see the
         * module README, "Many workers").
         */
        public Builder targets(Path dir) {
            this.targetsDir = Objects.requireNonNull(dir, "dir");
            return this;
        }

        private static String nonEmpty(String value, String what) {
            Objects.requireNonNull(value, what);
            if (value.isBlank()) throw new IllegalArgumentException(what + " must not be empty");
            return value;
        }

        /**
         * The address to listen on (default {@code 127.0.0.1}, loopback only). {@code "0.0.0.0"} listens on
         * all interfaces: only do that behind a firewall, the endpoint has no authentication.
         */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** The port to listen on (default 9464); 0 picks a free one, reported by {@link NoetherExporter#url()}. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535: " + port);
            this.port = port;
            return this;
        }

        /**
         * Serves this registry instead of a new one; the exporter will not close it. The exposition is the same,
         * but a scrape takes longer: the exporter's own registry builds each gauge's labels once, not on every
         * scrape ({@code ScrapeBenchmark}).
         */
        public Builder registry(PrometheusMeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Tags put on every meter of the registry, e.g. {@code "run", "r1", "worker", "0"} for distributed
         * runs; they are also the Pushgateway grouping key. Meters registered before {@link #start()} do
         * not get them, so bind meters afterwards.
         */
        public Builder commonTags(String... keyValues) {
            if (keyValues.length % 2 != 0) {
                throw new IllegalArgumentException("commonTags needs key, value pairs; got " + keyValues.length + " strings");
            }
            this.commonTags = Tags.of(keyValues);
            return this;
        }

        /**
         * Writes a JSONL event log at {@code path} with default options (64 MiB per file, 10 files). When
         * {@code path} is an existing folder, the log in it is named by run and worker,
         * {@code <run>.<worker>.jsonl} (or {@code <worker>.jsonl}), so the workers of a run can share the folder.
         */
        public Builder eventLog(Path path) {
            return eventLog(path, EventLogOptions.defaults());
        }

        /** Writes a JSONL event log; lost records are counted in the exporter's registry unless the options name one. */
        public Builder eventLog(Path path, EventLogOptions options) {
            this.eventLogPath = Objects.requireNonNull(path, "path");
            this.eventLogOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /**
         * Pushes the metrics to the Pushgateway at {@code address} ({@code host:port} or a base URL) under
         * {@code job} when the exporter closes, and periodically with {@link #pushEvery(Duration)}.
         */
        public Builder pushGateway(String address, String job) {
            this.pushAddress = Objects.requireNonNull(address, "address");
            this.pushJob = Objects.requireNonNull(job, "job");
            if (job.isEmpty()) throw new IllegalArgumentException("job must not be empty");
            return this;
        }

        /** Also pushes every {@code period} while running (needs {@link #pushGateway(String, String)}). */
        public Builder pushEvery(Duration period) {
            if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("pushEvery must be positive: " + period);
            this.pushEvery = period;
            return this;
        }

        /**
         * Bounds of the training page's in-memory history, which covers the whole run: the latest {@code maxRecords}
         * records of each kind at full resolution (default {@value RunHistory#DEFAULT_MAX_RECORDS}), the first record
         * and at most {@code maxRecords / 2} buckets (mean, min, max) of the ones in between; everything it holds
         * within {@code maxBytes} (default 32 MiB), a large model keeping fewer points (see {@link RunHistory}).
         */
        public Builder pageHistory(int maxRecords, long maxBytes) {
            if (maxRecords < 1 || maxBytes < 1) {
                throw new IllegalArgumentException("pageHistory bounds must be positive: " + maxRecords + ", " + maxBytes);
            }
            this.pageRecords = maxRecords;
            this.pageBytes = maxBytes;
            return this;
        }

        /**
         * Whether to add the GPU gauges ({@link NvmlGpuMetrics}, default true). They cost one NVML read per GPU
         * and quantity every 5 s on a daemon thread; without NVIDIA GPU they are absent either way.
         */
        public Builder gpuMetrics(boolean enabled) {
            this.gpuMetrics = enabled;
            return this;
        }

        /**
         * Starts the exporter.
         *
         * @throws ExporterStartException if the address cannot be bound (port in use: the message says how to pick another)
         */
        public NoetherExporter start() {
            if (pushEvery != null && pushAddress == null) {
                throw new IllegalStateException("pushEvery(...) needs pushGateway(address, job)");
            }
            boolean ownsRegistry = registry == null;
            PrometheusMeterRegistry reg = ownsRegistry ? new ExporterMeterRegistry(ExporterPrometheusConfig.INSTANCE) : registry;
            Tags tags = commonTags;
            String runTag = run != null ? run : tagValue(tags, "run");
            String workerTag = worker != null ? worker : tagValue(tags, "worker");
            // run(...) or targets(...) declare a worker of a run: it gets a name (commonTags stay exactly as given)
            if (workerTag == null && (run != null || targetsDir != null)) {
                workerTag = dev.noether.core.worker.WorkerIdentity.process(); // many workers never share a series
            }
            if (run != null) tags = tags.and("run", run);
            if (workerTag != null) tags = tags.and("worker", workerTag);
            reg.config().commonTags(tags);

            Map<String, Route> routes = new LinkedHashMap<>();
            RunHistory history = RunHistory.live(pageRecords, pageBytes);
            addPage(routes, TrainingPage.live(history, reg));
            routes.put("/metrics", (headers, query) -> metrics(reg, headers.getFirst("Accept")));
            routes.put("/healthz", (headers, query) -> EndpointResponse.text(200, "ok\n"));
            HttpEndpoint http;
            try {
                http = HttpEndpoint.start(host, port, routes);
            } catch (RuntimeException e) {
                history.close();
                if (ownsRegistry) reg.close();
                throw e;
            }

            Path logPath = eventLogPath == null || !java.nio.file.Files.isDirectory(eventLogPath) ? eventLogPath
                    : eventLogPath.resolve(LogFiles.workerLogName(runTag, workerTag));
            EventLog log = logPath == null ? null : EventLog.open(logPath, eventLogOptions.withDefaultRegistry(reg));
            PushGatewayClient push = null;
            ScheduledExecutorService scheduler = null;
            if (pushAddress != null) {
                Map<String, String> groupingKey = new LinkedHashMap<>();
                for (Tag tag : tags) groupingKey.put(tag.getKey(), tag.getValue());
                push = new PushGatewayClient(pushAddress, pushJob, groupingKey,
                        () -> Exposition.scrape(reg, Exposition.PROMETHEUS_TEXT), reg);
                if (pushEvery != null) {
                    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                        Thread t = new Thread(r, "noether-push");
                        t.setDaemon(true);
                        return t;
                    });
                    PushGatewayClient client = push;
                    long millis = pushEvery.toMillis();
                    scheduler.scheduleWithFixedDelay(client::push, millis, millis, TimeUnit.MILLISECONDS);
                }
            }
            NvmlGpuMetrics gpu = null;
            if (gpuMetrics) { // after the common tags, so that the GPU meters carry them
                gpu = NvmlGpuMetrics.create();
                gpu.bindTo(reg);
            }
            NoetherExporter exporter = new NoetherExporter(reg, ownsRegistry, http, log, push, scheduler, history, gpu,
                    workerTag);
            if (targetsDir != null) {
                Map<String, String> labels = new LinkedHashMap<>();
                if (runTag != null) labels.put("run", runTag);
                labels.put("worker", workerTag);
                try {
                    exporter.targets = TargetFile.start(targetsDir, targetAddress(http.address()), labels, reg);
                } catch (RuntimeException e) {
                    exporter.close();
                    throw e;
                }
            }
            LOG.log(System.Logger.Level.INFO, "Noether page at {0}, metrics at {0}metrics", exporter.url());
            return exporter;
        }

        private static String tagValue(Tags tags, String key) {
            for (Tag t : tags) {
                if (t.getKey().equals(key)) return t.getValue();
            }
            return null;
        }

        /** The address a scraper on another host can use: the bound one, or this host's for a wildcard bind. */
        private static String targetAddress(InetSocketAddress bound) {
            String host = bound.getAddress().getHostAddress();
            if (bound.getAddress().isAnyLocalAddress()) {
                try {
                    host = java.net.InetAddress.getLocalHost().getHostAddress();
                } catch (java.net.UnknownHostException e) {
                    host = dev.noether.core.worker.WorkerIdentity.host();
                }
            }
            return HttpEndpoint.hostPort(host, bound.getPort());
        }

        private static EndpointResponse metrics(PrometheusMeterRegistry registry, String accept) {
            String contentType = Exposition.negotiate(accept);
            return new EndpointResponse(200, contentType, Exposition.scrape(registry, contentType));
        }
    }
}
