package dev.noether.exporter;

import com.sun.net.httpserver.Headers;

/** One path of the exporter's HTTP endpoint, answering GET (and HEAD, whose body is discarded). */
@FunctionalInterface
interface Route {
    /** @param query the raw query string of the request, or null when it has none */
    EndpointResponse get(Headers requestHeaders, String query);
}
