package dev.noether.dashboards;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalPrometheusStartupTest {

    @Test
    void aRuleFilePrometheusCannotLoadFailsTheStartWithItsLog(@TempDir Path dir) throws IOException {
        Path broken = dir.resolve("broken.yml");
        Files.writeString(broken, "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]\n");

        assertThatThrownBy(() -> LocalPrometheus.start("127.0.0.1:9", List.of(broken)).close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("prometheus exited")
                .hasMessageContaining("broken.yml");
    }
}
