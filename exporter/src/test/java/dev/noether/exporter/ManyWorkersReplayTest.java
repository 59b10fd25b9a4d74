package dev.noether.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.noether.exporter.page.RunHistory;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page of a run of many workers from their event logs: each worker's log in one folder (named by run and
 * worker, {@code <run>.<worker>.jsonl}), replayed together by {@code ui <folder>}, every record with its worker
 * (from the record, or the log's name for records without one), all logs merged in time order.
 */
class ManyWorkersReplayTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void replaysEveryWorkersLogOfARunTogetherInTimeOrder(@TempDir Path dir) throws Exception {
        // w1 as the exporter writes it (records carry their worker), w2 an older log without the field
        write(dir.resolve("r1.w1.jsonl"), "w1", 100.0, 102.0, 104.0);
        write(dir.resolve("r1.w2.jsonl"), null, 101.0, 103.0);
        Files.writeString(dir.resolve("notes.txt"), "not a log");

        try (ReplayServer server = ReplayServer.start(List.of(dir), "127.0.0.1", 0, RunHistory.DEFAULT_MAX_RECORDS,
                RunHistory.DEFAULT_MAX_BYTES)) {
            JsonNode records = get(server.url().resolve("/api/records?after=0&limit=100"));
            List<String> order = new ArrayList<>();
            for (JsonNode r : records.path("records")) order.add(r.path("worker").asText() + "@" + r.path("time").asInt());
            assertThat(order).containsExactly("w1@100", "r1.w2@101", "w1@102", "r1.w2@103", "w1@104");
            assertThat(server.source().records()).isEqualTo(5);
        }
    }

    @Test
    void theUiCommandTakesAFolderOrSeveralLogs(@TempDir Path dir) throws Exception {
        Path a = write(dir.resolve("r1.a.jsonl"), "a", 1.0);
        Path b = write(dir.resolve("r1.b.jsonl"), "b", 2.0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = ExporterMain.ui(new String[] {"ui", a.toString(), b.toString(), "--port", "0"},
                new PrintStream(out, true), new PrintStream(new ByteArrayOutputStream(), true));
        assertThat(status).isZero();
        assertThat(out.toString()).contains("(2 records").contains("r1.a.jsonl").contains("r1.b.jsonl");
    }

    private static Path write(Path log, String worker, double... times) throws Exception {
        try (EventLog events = EventLog.open(log, EventLogOptions.defaults())) {
            long step = 0;
            for (double t : times) {
                Map<String, Object> record = new LinkedHashMap<>();
                record.put("type", "step");
                record.put("model", "mlp");
                record.put("step", step++);
                record.put("time", t);
                if (worker != null) record.put("worker", worker);
                record.put("metrics", Map.of("loss", 1.0 / (1 + t)));
                events.append(record);
            }
        }
        return log;
    }

    private static JsonNode get(URI uri) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body());
    }
}
