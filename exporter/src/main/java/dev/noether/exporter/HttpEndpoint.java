package dev.noether.exporter;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The exporter's HTTP server: the JDK's {@link HttpServer} on a small pool of daemon threads,
 * dispatching exact paths to {@link Route}s. Paths are matched exactly (the JDK matches contexts by
 * prefix, which would serve {@code /metricsXYZ}); anything else is 404, any method but GET and HEAD 405.
 */
final class HttpEndpoint implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HttpEndpoint.class.getName());
    // Two handler threads serve a handful of scrapers; a scrape of a 100-layer model takes about 1.5 ms (ScrapeBenchmark).
    private static final int THREADS = 2;
    private static final String NO_DELAY = "sun.net.httpserver.nodelay";

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Route> routes;

    private HttpEndpoint(HttpServer server, ExecutorService executor, Map<String, Route> routes) {
        this.server = server;
        this.executor = executor;
        this.routes = routes;
    }

    /** Binds {@code host:port} and starts serving {@code routes} (path → route). */
    static HttpEndpoint start(String host, int port, Map<String, Route> routes) {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new ExporterStartException("Noether exporter: unknown host '" + host + "'. Set an address of "
                    + "this machine with host(...), e.g. 127.0.0.1 (loopback, the default).", null);
        }
        // The JDK server sends headers and body as two packets; with Nagle's algorithm the body then waits
        // for the client's delayed ACK, ~40 ms on every keep-alive request (measured: 46 ms vs 1.8 ms per
        // scrape). The JDK reads this property when the JVM's first HttpServer starts; an explicit setting wins.
        if (System.getProperty(NO_DELAY) == null) System.setProperty(NO_DELAY, "true");
        HttpServer server;
        try {
            server = HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new ExporterStartException(bindFailure(host, port, e), e);
        } catch (IOException e) {
            throw new ExporterStartException("Noether exporter cannot listen on " + hostPort(host, port) + ": " + e, e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, daemonThreads());
        HttpEndpoint endpoint = new HttpEndpoint(server, executor, Map.copyOf(routes));
        server.createContext("/", endpoint::handle);
        server.setExecutor(executor);
        startAsDaemon(server);
        return endpoint;
    }

    /**
     * The JDK server's dispatcher thread inherits daemon status from the thread that starts it: started from
     * the application's main thread it would keep a finished training program alive after {@code main}
     * returns, even when nobody closes the exporter. So it is started from a daemon thread.
     */
    private static void startAsDaemon(HttpServer server) {
        Thread starter = new Thread(server::start, "noether-exporter-start");
        starter.setDaemon(true);
        starter.start();
        boolean interrupted = false;
        while (starter.isAlive()) {
            try {
                starter.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The bound address (with the real port when 0 was asked for). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            boolean head = "HEAD".equals(method);
            Route route = routes.get(exchange.getRequestURI().getPath());
            EndpointResponse response;
            if (route == null) {
                response = EndpointResponse.text(404, "Not found. Noether serves / (the training page), /metrics and /healthz.\n");
            } else if (!head && !"GET".equals(method)) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                response = EndpointResponse.text(405, "Method not allowed: use GET.\n");
            } else {
                response = answer(route, exchange);
            }
            exchange.getResponseHeaders().set("Content-Type", response.contentType());
            response.headers().forEach(exchange.getResponseHeaders()::set);
            if (head) {
                exchange.sendResponseHeaders(response.status(), -1);
            } else {
                exchange.sendResponseHeaders(response.status(), response.body().length);
                try (OutputStream body = exchange.getResponseBody()) {
                    body.write(response.body());
                }
            }
        }
    }

    private static EndpointResponse answer(Route route, HttpExchange exchange) {
        try {
            return route.get(exchange.getRequestHeaders(), exchange.getRequestURI().getRawQuery());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Noether exporter: " + exchange.getRequestURI().getPath()
                    + " failed", e);
            return EndpointResponse.text(500, "Internal error: " + e + "\n");
        }
    }

    private static String bindFailure(String host, int port, BindException e) {
        String where = hostPort(host, port);
        if (String.valueOf(e.getMessage()).contains("in use")) {
            return "Noether exporter cannot listen on " + where + ": the port is already in use (another run or "
                    + "exporter?). Choose another port: NoetherExporter.builder().port(...), port(0) for any free "
                    + "port (the exporter's url() reports it), or --port with the agent.";
        }
        return "Noether exporter cannot listen on " + where + ": " + e.getMessage() + ". host(...) must be an "
                + "address of this machine (default 127.0.0.1).";
    }

    static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static java.util.concurrent.ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "noether-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
