package dev.noether.dashboards;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Copies of an alerting rule file with every {@code for:} duration set to 0s, so that a test against
 * a real Prometheus sees an alert fire on its first evaluation instead of after minutes.
 */
final class ImmediateAlertRules {

    private static final Pattern FOR = Pattern.compile("(?m)^(\\s*)for:\\s*\\S+\\s*$");

    private ImmediateAlertRules() {
    }

    /** Writes the copy into {@code directory} under the original file name and returns it. */
    static Path copyOf(Path rules, Path directory) {
        try {
            String text = Files.readString(rules);
            Path copy = directory.resolve(rules.getFileName());
            Files.writeString(copy, FOR.matcher(text).replaceAll("$1for: 0s"));
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
