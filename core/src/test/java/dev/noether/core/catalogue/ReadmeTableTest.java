package dev.noether.core.catalogue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's table "What is measured" names exactly the catalogue's families. The table abbreviates: a name
 * {@code _inactive} after {@code noether_neurons_dead} replaces the last word, {@code ..._predicted} after
 * {@code noether_charge_drift_rate} extends it.
 */
class ReadmeTableTest {
    private static final Pattern NAME = Pattern.compile("`((?:noether_|_|\\.\\.\\._)[a-z0-9_]+)`");

    @Test
    void theReadmeTableNamesEveryFamilyOfTheCatalogueAndNoOther() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf("## What is measured");
        String section = readme.substring(start, readme.indexOf("\n## ", start + 1));
        Set<String> named = new TreeSet<>();
        for (String line : section.split("\n")) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String firstCell = line.substring(1, line.indexOf('|', 1));
            String previous = null;
            Matcher m = NAME.matcher(firstCell);
            while (m.find()) {
                String token = m.group(1);
                String name = token.startsWith("...") ? previous + token.substring(3)
                        : token.startsWith("_") ? previous.substring(0, previous.lastIndexOf('_')) + token
                        : token;
                named.add(name);
                previous = name;
            }
        }
        Set<String> catalogue = new TreeSet<>();
        MetricFamily.all().forEach(f -> catalogue.add(f.prometheusName()));
        assertThat(named).as("families in the README table").isEqualTo(catalogue);
    }
}
