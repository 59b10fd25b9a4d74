package dev.noether.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogSummaryTest {
    private static final String NL = System.lineSeparator();

    @TempDir
    Path dir;

    private static Map<String, Object> record(String type, long step, double loss, double norm1, double norm2) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("type", type);
        r.put("step", step);
        r.put("time", 1.7e9 + step);
        r.put("loss", loss);
        Map<String, Object> layers = new LinkedHashMap<>();
        layers.put("l1", Map.of("norm", norm1));
        layers.put("l2", Map.of("norm", norm2));
        r.put("layers", layers);
        r.put("charges", new double[] {1, 2});
        return r;
    }

    private List<Map<String, Object>> sample() {
        return List.of(record("step", 0, 2.5, 1, 3), record("step", 10, 0.123456789, 1.25, Double.NaN),
                record("analysis", 10, 0.5, 1.5, 1e-7));
    }

    @Test
    void defaultColumnsAreStepAndTheFirstNumericOnesFlattenedWithDots() {
        // hand-written: time skipped, arrays left out, NaN kept, 6 significant digits, tiny values scientific
        String expected = ""
                + "    type  step      loss  layers.l1.norm  layers.l2.norm" + NL
                + "    step     0       2.5               1               3" + NL
                + "    step    10  0.123457            1.25             NaN" + NL
                + "analysis    10       0.5             1.5     1.00000e-07" + NL
                + "# 3 records, 5 numeric columns, 4 shown (choose with --columns, e.g. --columns 'step,layers.*.loss')" + NL;
        List<Map<String, Object>> parsed = sample().stream().map(r -> {
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) EventLogJson.parse(EventLogJson.write(r));
                return m;
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new AssertionError(e);
            }
        }).toList();
        assertThat(EventLogSummary.table(parsed, null, null, 8)).isEqualTo(expected);
    }

    @Test
    void typeFilterColumnPatternsAndMaxColumns() {
        assertThat(EventLogSummary.table(sample(), "step", List.of("step", "layers.*.norm", "typo"), 8)).isEqualTo(""
                + "step  layers.l1.norm  layers.l2.norm  typo" + NL
                + "   0               1               3     -" + NL
                + "  10            1.25             NaN     -" + NL
                + "# 2 records, 5 numeric columns, 4 shown" + NL);
        assertThat(EventLogSummary.table(sample(), "analysis", null, 1)).isEqualTo(""
                + "step  loss" + NL
                + "  10   0.5" + NL
                + "# 1 records, 5 numeric columns, 2 shown (choose with --columns, e.g. --columns 'step,layers.*.loss')" + NL);
    }

    @Test
    void theCommandReadsARealLog() throws Exception {
        Path path = dir.resolve("run.jsonl");
        try (EventLog log = EventLog.open(path)) {
            sample().forEach(log::append);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = EventLogSummary.run(new String[] {path.toString(), "--type", "step", "--columns", "loss"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(status).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(""
                + "    loss" + NL + "     2.5" + NL + "0.123457" + NL + "# 2 records, 5 numeric columns, 1 shown" + NL);
        assertThat(EventLogSummary.run(new String[] {dir.resolve("absent.jsonl").toString()}, new PrintStream(out),
                new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(1);
        assertThat(EventLogSummary.run(new String[] {"--columns"}, new PrintStream(out), new PrintStream(err))).isEqualTo(2);
    }
}
