package dev.noether.exporter;

import com.sun.net.httpserver.Headers;

/** One path of the exporter's HTTP endpoint, answering GET (and HEAD, whose body is discarded). */
@FunctionalInterface
interface Route {
    EndpointResponse get(Headers requestHeaders);
}
