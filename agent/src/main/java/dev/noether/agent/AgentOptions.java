package dev.noether.agent;

import dev.noether.core.NoetherConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The agent's settings, resolved from four sources in this order of precedence: the agent argument
 * ({@code -javaagent:noether-agent.jar=port=9464,every=50}), then {@code -Dnoether.*} system properties, then
 * {@code NOETHER_*} environment variables, then the defaults. An unknown key in the agent argument or a bad
 * value in any source is an error: the agent then stays off, so the program never runs half-configured.
 * System properties and environment variables with names the agent does not know are left alone (they may
 * belong to someone else).
 */
final class AgentOptions {
    private final Map<AgentOption, String> values;

    private AgentOptions(Map<AgentOption, String> values) {
        this.values = values;
    }

    /**
     * Resolves the options.
     *
     * @param agentArgument the text after {@code =} in {@code -javaagent:jar=...}; null or blank for none
     * @throws InvalidAgentOptionException naming every offending option and its source
     */
    static AgentOptions resolve(String agentArgument, Map<String, String> systemProperties, Map<String, String> environment) {
        List<String> problems = new ArrayList<>();
        Map<AgentOption, String> fromArgument = parseArgument(agentArgument, problems);
        Map<AgentOption, String> values = new EnumMap<>(AgentOption.class);
        for (AgentOption option : AgentOption.values()) {
            String raw;
            String source;
            if (fromArgument.containsKey(option)) {
                raw = fromArgument.get(option);
                source = "agent option '" + option.key() + "=" + raw + "'";
            } else if (systemProperties.containsKey(option.propertyName())) {
                raw = systemProperties.get(option.propertyName());
                source = "system property " + option.propertyName() + "='" + raw + "'";
            } else if (environment.containsKey(option.environmentName())) {
                raw = environment.get(option.environmentName());
                source = "environment variable " + option.environmentName() + "='" + raw + "'";
            } else {
                if (!option.defaultValue().isEmpty()) values.put(option, option.defaultValue());
                continue;
            }
            try {
                values.put(option, option.check(raw));
            } catch (IllegalArgumentException e) {
                problems.add(source + " is " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) throw new InvalidAgentOptionException(String.join("; ", problems));
        return new AgentOptions(values);
    }

    private static Map<AgentOption, String> parseArgument(String argument, List<String> problems) {
        Map<AgentOption, String> parsed = new EnumMap<>(AgentOption.class);
        if (argument == null || argument.isBlank()) return parsed;
        for (String item : argument.split(",")) {
            if (item.isBlank()) continue;
            int eq = item.indexOf('=');
            String key = (eq < 0 ? item : item.substring(0, eq)).trim();
            AgentOption option = AgentOption.byKey(key);
            if (eq < 0) {
                problems.add("agent option '" + item.trim() + "' has no value (write key=value)");
            } else if (option == null) {
                problems.add("agent option '" + item.trim() + "' is unknown (known: " + knownKeys() + ")");
            } else if (parsed.containsKey(option)) {
                problems.add("agent option '" + key + "' is given twice");
            } else {
                parsed.put(option, item.substring(eq + 1));
            }
        }
        return parsed;
    }

    private static String knownKeys() {
        return Arrays.stream(AgentOption.values()).map(AgentOption::key).collect(Collectors.joining(", "));
    }

    boolean enabled() {
        return Boolean.parseBoolean(values.get(AgentOption.ENABLED));
    }

    /** Whether the exporter adds the GPU gauges. */
    boolean gpu() {
        return Boolean.parseBoolean(values.get(AgentOption.GPU));
    }

    int port() {
        return Integer.parseInt(values.get(AgentOption.PORT));
    }

    String host() {
        return values.get(AgentOption.HOST);
    }

    /** The analysis settings: {@link NoetherConfig}'s defaults, overridden by the options that are set. */
    NoetherConfig noetherConfig() {
        NoetherConfig.Builder config = NoetherConfig.builder();
        value(AgentOption.EVERY).ifPresent(v -> config.analysisEvery(Integer.parseInt(v)));
        value(AgentOption.OBSERVE).ifPresent(v -> config.observeEvery(Integer.parseInt(v)));
        value(AgentOption.INTERVAL).ifPresent(v -> config.minAnalysisInterval(
                Duration.ofNanos(Math.round(Double.parseDouble(v) * 1e9))));
        value(AgentOption.SHARE).ifPresent(v -> config.maxAnalysisShare(Double.parseDouble(v)));
        return config.build();
    }

    Optional<Path> eventLog() {
        return value(AgentOption.EVENTS).map(Path::of);
    }

    Optional<String> model() {
        return value(AgentOption.MODEL);
    }

    private Optional<String> value(AgentOption option) {
        return Optional.ofNullable(values.get(option));
    }

    /** The common tags run and worker, as key, value pairs, only those that are set. */
    String[] commonTags() {
        List<String> tags = new ArrayList<>();
        for (AgentOption option : List.of(AgentOption.RUN, AgentOption.WORKER)) {
            String value = values.get(option);
            if (value != null) {
                tags.add(option.key());
                tags.add(value);
            }
        }
        return tags.toArray(String[]::new);
    }
}
