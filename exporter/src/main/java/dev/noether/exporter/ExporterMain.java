package dev.noether.exporter;

import dev.noether.exporter.page.ReplaySource;
import dev.noether.exporter.page.RunHistory;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar noether-exporter.jar}: {@code ui run.jsonl [--port N] [--host H]} serves the training page
 * of a recorded run until Ctrl-C; anything else is the event-log summary table ({@link EventLogSummary}).
 */
public final class ExporterMain {
    private static final String USAGE = "usage: java -jar noether-exporter.jar ui run.jsonl|worker.jsonl...|folder "
            + "[--port 9464] [--host 127.0.0.1]";
    private ExporterMain() {}

    /** {@code ui run.jsonl [--port N] [--host H]}, or the arguments of {@link EventLogSummary}. */
    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && args[0].equals("ui")) {
            int status = ui(args, System.out, System.err);
            if (status != 0) System.exit(status);
            CountDownLatch forever = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
            forever.await();
        } else {
            EventLogSummary.main(args);
        }
    }

    /** Starts the replay server (it runs on daemon threads); returns the exit status, 0 when serving. */
    static int ui(String[] args, PrintStream out, PrintStream err) {
        List<Path> logs = new ArrayList<>();
        int port = NoetherExporter.DEFAULT_PORT;
        String host = NoetherExporter.DEFAULT_HOST;
        try {
            for (int i = 1; i < args.length; i++) {
                switch (args[i]) {
                    case "--port" -> port = Integer.parseInt(value(args, ++i, "--port"));
                    case "--host" -> host = value(args, ++i, "--host");
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return 2;
                    }
                    default -> logs.add(Path.of(args[i]));
                }
            }
        } catch (IllegalArgumentException e) { // NumberFormatException included
            err.println("noether ui: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        if (logs.isEmpty()) {
            err.println(USAGE);
            return 2;
        }
        try {
            ReplayServer server = ReplayServer.start(logs, host, port, RunHistory.DEFAULT_MAX_RECORDS, RunHistory.DEFAULT_MAX_BYTES);
            ReplaySource s = server.source();
            out.println("Noether page of " + (logs.size() == 1 ? logs.get(0) : logs) + " at " + server.url() + " (" + s.records() + " records"
                    + (s.skippedLines() > 0 ? ", " + s.skippedLines() + " bad lines skipped, first at " + s.firstSkipped() : "")
                    + "); Ctrl-C stops");
            return 0;
        } catch (RuntimeException e) {
            err.println("noether ui: " + e.getMessage());
            return 1;
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) throw new IllegalArgumentException(flag + " needs a value");
        return args[i];
    }
}
