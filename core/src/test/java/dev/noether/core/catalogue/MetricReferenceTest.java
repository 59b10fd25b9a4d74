package dev.noether.core.catalogue;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metric reference in the repository ({@code docs/metrics.md}) documents exactly the catalogue's families, each
 * under a heading with its Prometheus name and with the catalogue's Micrometer name, type, Prometheus unit and
 * tags in its table, plus when it is absent and its source. The checker is tested on altered copies of the page, so
 * that it is known to fail when a family is missing or documented wrongly.
 */
class MetricReferenceTest {
    private static final Path REFERENCE = Path.of("..", "docs", "metrics.md");
    private static final Pattern HEADING = Pattern.compile("(?m)^### `(noether_[a-z0-9_]+)`\\s*$");
    private static final Pattern ROW = Pattern.compile("(?m)^\\| ([a-zA-Z ]+?) \\| (.*?) \\|\\s*$");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    @Test
    void theReferenceDocumentsEveryFamilyOfTheCatalogueWithItsNameTypeUnitAndTags() throws IOException {
        assertThat(problems(Files.readString(REFERENCE))).as("problems in docs/metrics.md").isEmpty();
    }

    @Test
    void aMissingFamilyAWrongUnitOrAWrongTagFailsTheCheck() throws IOException {
        String doc = Files.readString(REFERENCE);
        String drift = section(doc, "noether_charge_drift");
        assertThat(problems(doc.replace(drift, ""))).anySatisfy(p -> assertThat(p).contains("noether_charge_drift", "missing"));
        assertThat(problems(doc.replace(drift, drift.replace("| tags | `model`, `pair`, `symmetry` |", "| tags | `model`, `pair` |"))))
                .anySatisfy(p -> assertThat(p).contains("noether_charge_drift", "tags"));
        String timer = section(doc, "noether_analysis_seconds");
        assertThat(problems(doc.replace(timer, timer.replace("| Prometheus unit | seconds |", "| Prometheus unit | none |"))))
                .anySatisfy(p -> assertThat(p).contains("noether_analysis_seconds", "unit"));
        String loss = section(doc, "noether_loss");
        assertThat(problems(doc.replace(loss, loss.replace("| Prometheus unit | none |", "| Prometheus unit | seconds |"))))
                .anySatisfy(p -> assertThat(p).contains("noether_loss", "unit"));
        assertThat(problems(doc.replace(loss, loss.replace("| type | gauge |", "| type | counter |"))))
                .anySatisfy(p -> assertThat(p).contains("noether_loss", "type"));
        assertThat(problems(doc.replace(loss, loss.replace("| absent when |", "| absent if |"))))
                .anySatisfy(p -> assertThat(p).contains("noether_loss", "absent when"));
        assertThat(problems(doc + "\n### `noether_made_up`\n")).anySatisfy(p -> assertThat(p).contains("noether_made_up", "not in the catalogue"));
    }

    /** What is wrong with {@code doc} against the catalogue; empty when nothing is. */
    static List<String> problems(String doc) {
        Map<String, String> sections = new LinkedHashMap<>();
        Matcher h = HEADING.matcher(doc);
        List<int[]> at = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (h.find()) {
            at.add(new int[] {h.start(), h.end()});
            names.add(h.group(1));
        }
        for (int i = 0; i < names.size(); i++) {
            int end = i + 1 < at.size() ? at.get(i + 1)[0] : doc.length();
            int nextChapter = doc.indexOf("\n## ", at.get(i)[1]);
            if (nextChapter >= 0 && nextChapter < end) end = nextChapter;
            sections.put(names.get(i), doc.substring(at.get(i)[1], end));
        }
        List<String> problems = new ArrayList<>();
        for (String name : sections.keySet()) {
            if (MetricFamily.all().stream().noneMatch(f -> f.prometheusName().equals(name))) {
                problems.add(name + " is documented but not in the catalogue");
            }
        }
        for (MetricFamily f : MetricFamily.all()) {
            String section = sections.get(f.prometheusName());
            if (section == null) {
                problems.add(f.prometheusName() + " is missing from the reference");
                continue;
            }
            Map<String, String> rows = new LinkedHashMap<>();
            Matcher r = ROW.matcher(section);
            while (r.find()) rows.put(r.group(1).trim(), r.group(2).trim());
            check(problems, f, rows, "Micrometer name", "`" + f.meterName() + "`");
            check(problems, f, rows, "type", f.type().name().toLowerCase(Locale.ROOT));
            check(problems, f, rows, "Prometheus unit", f.baseUnit() == null ? "none" : f.baseUnit());
            Set<String> tags = new TreeSet<>(f.tagKeys());
            tags.add("model");
            Set<String> documented = new TreeSet<>();
            Matcher c = CODE.matcher(rows.getOrDefault("tags", ""));
            while (c.find()) documented.add(c.group(1));
            if (!documented.equals(tags)) {
                problems.add(f.prometheusName() + ": tags " + documented + " documented, the catalogue has " + tags);
            }
            for (String required : List.of("measured in", "absent when", "source")) {
                if (rows.getOrDefault(required, "").isBlank()) {
                    problems.add(f.prometheusName() + ": no '" + required + "' row");
                }
            }
            String text = section.replaceAll("(?m)^\\|.*\\|\\s*$", "").strip();
            if (text.length() < 20) {
                problems.add(f.prometheusName() + ": no definition below its table");
            }
        }
        return problems;
    }

    private static void check(List<String> problems, MetricFamily f, Map<String, String> rows, String row, String expected) {
        String documented = rows.get(row);
        if (!expected.equals(documented)) {
            problems.add(f.prometheusName() + ": " + row + " is '" + documented + "', the catalogue says '" + expected + "'");
        }
    }

    private static String section(String doc, String name) {
        int start = doc.indexOf("### `" + name + "`");
        int end = doc.indexOf("\n### ", start + 1);
        return doc.substring(start, end);
    }
}
