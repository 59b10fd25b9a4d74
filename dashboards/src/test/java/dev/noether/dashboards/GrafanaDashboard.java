package dev.noether.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Grafana dashboard JSON model, read for its panels, queries and template variables. */
final class GrafanaDashboard {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** label_values(selector, label): the selector is PromQL, the label a plain name. */
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*\\w+\\s*\\)\\s*",
            Pattern.DOTALL);

    private final String name;
    private final JsonNode root;

    private GrafanaDashboard(String name, JsonNode root) {
        this.name = name;
        this.root = root;
    }

    static GrafanaDashboard load(Path file) {
        try {
            return new GrafanaDashboard(file.getFileName().toString(), JSON.readTree(file.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String name() {
        return name;
    }

    JsonNode root() {
        return root;
    }

    /** Every panel, rows included, also those folded inside a collapsed row. */
    List<JsonNode> panels() {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode panel : root.path("panels")) {
            all.add(panel);
            panel.path("panels").forEach(all::add);
        }
        return all;
    }

    static boolean isRow(JsonNode panel) {
        return "row".equals(panel.path("type").asText());
    }

    List<PanelQuery> panelQueries() {
        List<PanelQuery> queries = new ArrayList<>();
        for (JsonNode panel : panels()) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(new PanelQuery(panel.path("title").asText(), target.path("refId").asText(),
                        target.path("expr").asText(), target.path("datasource").path("uid").asText()));
            }
        }
        return queries;
    }

    /** The template variables, in dashboard order. */
    List<JsonNode> variables() {
        List<JsonNode> list = new ArrayList<>();
        root.path("templating").path("list").forEach(list::add);
        return list;
    }

    JsonNode variable(String variableName) {
        return variables().stream()
                .filter(v -> variableName.equals(v.path("name").asText()))
                .findFirst()
                .orElseThrow(() -> new AssertionError(name + " has no template variable " + variableName));
    }

    /** The annotation queries that read Prometheus (Grafana's built-in annotation has none). */
    List<JsonNode> prometheusAnnotations() {
        List<JsonNode> list = new ArrayList<>();
        for (JsonNode annotation : root.path("annotations").path("list")) {
            if (annotation.has("expr")) {
                list.add(annotation);
            }
        }
        return list;
    }

    /** Every PromQL expression: panel targets, annotation queries and label_values selectors of variables. */
    List<String> promqlExpressions() {
        List<String> exprs = new ArrayList<>();
        panelQueries().forEach(q -> exprs.add(q.expr()));
        prometheusAnnotations().forEach(a -> exprs.add(a.path("expr").asText()));
        for (JsonNode variable : variables()) {
            if ("query".equals(variable.path("type").asText())) {
                Matcher m = LABEL_VALUES.matcher(variable.path("query").asText());
                if (!m.matches()) {
                    throw new AssertionError(name + ": variable " + variable.path("name").asText()
                            + " is not a label_values(selector, label) query");
                }
                exprs.add(m.group(1));
            }
        }
        return exprs;
    }
}
