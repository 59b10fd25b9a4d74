package dev.noether.dashboards;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/** Serves a Prometheus text exposition, replaceable at any time, on {@code /metrics} of a free loopback port. */
final class ExpositionServer implements AutoCloseable {

    private final HttpServer server;
    private final AtomicReference<String> body;

    ExpositionServer(String initialBody) {
        body = new AtomicReference<>(initialBody);
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/metrics", exchange -> {
            byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
    }

    /** The scrape target, {@code 127.0.0.1:port}. */
    String target() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    void serve(String newBody) {
        body.set(newBody);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
