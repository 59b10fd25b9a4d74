package dev.noether.dashboards;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces Grafana template variables in a query with fixed values, as Grafana does before it sends
 * the query: {@code $name}, {@code ${name}}, {@code ${name:format}} and {@code [[name]]}. An unknown
 * variable is an error, so a typo in a dashboard cannot slip through as literal text.
 */
final class TemplateVariables {

    private static final Pattern REFERENCE =
            Pattern.compile("\\$\\{(\\w+)(?:[.:][^}]*)?}|\\[\\[(\\w+)(?::\\w+)?]]|\\$(\\w+)");

    private final Map<String, String> values;

    TemplateVariables(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    /**
     * Values that select everything (regex variables match any value) with Grafana's built-in
     * intervals at what Grafana would use for a one-hour view.
     */
    static TemplateVariables matchingEverything() {
        Map<String, String> v = new HashMap<>();
        v.put("datasource", "prometheus");
        for (String regexVariable : new String[] {"run", "job", "instance", "model", "layer", "pair", "host"}) {
            v.put(regexVariable, ".*");
        }
        v.put("__rate_interval", "1m");
        v.put("__interval", "15s");
        v.put("__interval_ms", "15000");
        v.put("__range", "1h");
        v.put("__range_s", "3600");
        v.put("__range_ms", "3600000");
        return new TemplateVariables(v);
    }

    /** A copy with one variable set to another value. */
    TemplateVariables with(String name, String value) {
        Map<String, String> v = new HashMap<>(values);
        v.put(name, value);
        return new TemplateVariables(v);
    }

    String substitute(String text) {
        Matcher m = REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            String value = values.get(name);
            if (value == null && name.chars().allMatch(Character::isDigit)) {
                value = m.group(); // "$1" is a regex group reference (label_replace), not a variable
            }
            if (value == null) {
                throw new IllegalArgumentException("unknown template variable $" + name + " in: " + text);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
