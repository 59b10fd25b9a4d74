package dev.noether.exporter;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real server binary (prometheus, pushgateway) started by a test, its output kept in a file for failures. */
final class ExternalProcess implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final Path output;

    private ExternalProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    static ExternalProcess start(List<String> command, Path output) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        return new ExternalProcess(p, output);
    }

    /** A port free on loopback right now (the race with other processes is accepted in tests). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code url} until its body satisfies {@code done}; fails with the process output after {@code timeout}. */
    String awaitBody(String url, Predicate<String> done, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "(no answer)";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new AssertionError("process died:\n" + log());
            try {
                HttpResponse<String> r = get(url);
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200 && done.test(r.body())) return r.body();
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for " + url + "; last answer: " + abbreviate(last)
                + "\nprocess output:\n" + log());
    }

    String log() throws IOException {
        return abbreviate(Files.readString(output));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    }
}
