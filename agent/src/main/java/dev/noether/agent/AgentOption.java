package dev.noether.agent;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The options of the agent itself (where to serve, what to tag, where to log). Each can be given as
 * {@code key=value} in the agent argument, as the system property {@code noether.key} or as the environment
 * variable {@code NOETHER_KEY}. The analysis settings are {@link dev.noether.core.runtime.NoetherConfig}'s, by
 * the same three sources.
 */
enum AgentOption {
    PORT("port", "9464", "HTTP port of the Prometheus endpoint; 0 picks a free one") {
        @Override
        String check(String value) {
            int port = integer(value, "a port number 0..65535");
            if (port < 0 || port > 65535) throw new IllegalArgumentException("not a port number 0..65535");
            return Integer.toString(port);
        }
    },
    HOST("host", "127.0.0.1", "address the endpoint listens on; 0.0.0.0 for all interfaces (no authentication!)") {
        @Override
        String check(String value) {
            return nonEmpty(value);
        }
    },
    EVENTS("events", "", "path of a JSONL event log of every report (none by default)") {
        @Override
        String check(String value) {
            try {
                return Path.of(nonEmpty(value)).toString();
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("not a file path (" + e.getReason() + ")");
            }
        }
    },
    MODEL("model", "", "value of the model tag (default: the name the listener derives from the model)") {
        @Override
        String check(String value) {
            return nonEmpty(value);
        }
    },
    TARGETS("targets", "", "folder of Prometheus file_sd target files: this process's is written there (none by default)") {
        @Override
        String check(String value) {
            try {
                return Path.of(nonEmpty(value)).toString();
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("not a folder path (" + e.getReason() + ")");
            }
        }
    },
    RUN("run", "", "common tag run=... on every metric (none by default)") {
        @Override
        String check(String value) {
            return nonEmpty(value);
        }
    },
    WORKER("worker", "", "common tag worker=... on every metric (default with run or targets: <host>-<pid>)") {
        @Override
        String check(String value) {
            return nonEmpty(value);
        }
    },
    GPU("gpu", "true", "false leaves out the GPU gauges (NVML utilization, memory, power, temperature)") {
        @Override
        String check(String value) {
            return bool(value);
        }
    },
    ENABLED("enabled", "true", "false turns the agent off (e.g. for one JVM when it is set for all)") {
        @Override
        String check(String value) {
            return bool(value);
        }
    };

    private final String key;
    private final String defaultValue;
    private final String meaning;

    AgentOption(String key, String defaultValue, String meaning) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.meaning = meaning;
    }

    /** The name in the agent argument, e.g. {@code port}. */
    String key() {
        return key;
    }

    String propertyName() {
        return "noether." + key;
    }

    String environmentName() {
        return "NOETHER_" + key.toUpperCase(Locale.ROOT);
    }

    /** The value when no source sets one; empty means "not set". */
    String defaultValue() {
        return defaultValue;
    }

    String meaning() {
        return meaning;
    }

    /**
     * Returns the value in normal form.
     *
     * @throws IllegalArgumentException whose message says, in a few words, what is wrong with it
     */
    abstract String check(String value);

    static AgentOption byKey(String key) {
        for (AgentOption option : values()) {
            if (option.key.equals(key)) return option;
        }
        return null;
    }

    private static String bool(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) throw new IllegalArgumentException("not true or false");
        return v;
    }

    private static String nonEmpty(String value) {
        String v = value.trim();
        if (v.isEmpty()) throw new IllegalArgumentException("empty");
        return v;
    }

    private static int integer(String value, String expected) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not " + expected);
        }
    }
}
