package dev.noether.agent;

import dev.noether.core.runtime.NoetherConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The agent's settings, resolved from four sources in this order of precedence: the agent argument
 * ({@code -javaagent:noether-agent.jar=port=9464,analysisEvery=50}), then {@code -Dnoether.*} system properties,
 * then {@code NOETHER_*} environment variables, then the defaults. The argument holds the agent's own
 * {@link AgentOption options} and every {@link NoetherConfig} setting (by its builder name, or the short aliases
 * {@code every}, {@code observe}, {@code interval}, {@code share}); the settings are resolved and validated
 * by {@link NoetherConfig#resolve} itself. An unknown key in the agent argument or a bad
 * value in any source is an error: the agent then stays off, so the program never runs half-configured.
 * System properties and environment variables with names the agent does not know are left alone (they may
 * belong to someone else).
 */
final class AgentOptions {
    private final Map<AgentOption, String> values;
    private final NoetherConfig config;

    private AgentOptions(Map<AgentOption, String> values, NoetherConfig config) {
        this.values = values;
        this.config = config;
    }

    /**
     * Resolves the options.
     *
     * @param agentArgument the text after {@code =} in {@code -javaagent:jar=...}; null or blank for none
     * @throws InvalidAgentOptionException naming every offending option and its source
     */
    static AgentOptions resolve(String agentArgument, Map<String, String> systemProperties, Map<String, String> environment) {
        List<String> problems = new ArrayList<>();
        List<String> settings = new ArrayList<>();
        Map<AgentOption, String> fromArgument = parseArgument(agentArgument, settings, problems);
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
        NoetherConfig config = NoetherConfig.defaults();
        try {
            config = NoetherConfig.resolve(NoetherConfig.defaults(), "agent option", String.join(",", settings),
                    systemProperties, environment);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) throw new InvalidAgentOptionException(String.join("; ", problems));
        return new AgentOptions(values, config);
    }

    /** The agent's own options; the analysis settings' items go to {@code settings} as they are. */
    private static Map<AgentOption, String> parseArgument(String argument, List<String> settings, List<String> problems) {
        Map<AgentOption, String> parsed = new EnumMap<>(AgentOption.class);
        if (argument == null || argument.isBlank()) return parsed;
        for (String item : argument.split(",")) {
            if (item.isBlank()) continue;
            int eq = item.indexOf('=');
            String key = (eq < 0 ? item : item.substring(0, eq)).trim();
            AgentOption option = AgentOption.byKey(key);
            if (eq < 0) {
                problems.add("agent option '" + item.trim() + "' has no value (write key=value)");
            } else if (option == null && NoetherConfig.isKey(key)) {
                settings.add(item);
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
        return Arrays.stream(AgentOption.values()).map(AgentOption::key).collect(Collectors.joining(", "))
                + ", " + String.join(", ", NoetherConfig.keys())
                + "; aliases: " + String.join(", ", new java.util.TreeSet<>(NoetherConfig.aliases().keySet()));
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

    /** The analysis settings: {@link NoetherConfig}'s defaults, overridden by the sources that set them. */
    NoetherConfig noetherConfig() {
        return config;
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

    /** The {@code run} tag, if set. */
    Optional<String> run() {
        return value(AgentOption.RUN);
    }

    /** The {@code worker} tag, if set (the exporter gives one by default with {@code run} or {@code targets}). */
    Optional<String> worker() {
        return value(AgentOption.WORKER);
    }

    /** The folder of file_sd target files, if set. */
    Optional<Path> targets() {
        return value(AgentOption.TARGETS).map(Path::of);
    }

}
