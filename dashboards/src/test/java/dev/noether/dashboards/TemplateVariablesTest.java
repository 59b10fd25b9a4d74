package dev.noether.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateVariablesTest {

    private final TemplateVariables variables =
            new TemplateVariables(Map.of("job", "noether", "layer", "dense1", "__rate_interval", "1m"));

    @Test
    void replacesEverySyntaxGrafanaAccepts() {
        assertThat(variables.substitute("rate(x{job=~\"$job\", layer=\"${layer}\"}[$__rate_interval])"))
                .isEqualTo("rate(x{job=~\"noether\", layer=\"dense1\"}[1m])");
        assertThat(variables.substitute("x{layer=~\"${layer:regex}\", job=\"[[job]]\"}"))
                .isEqualTo("x{layer=~\"dense1\", job=\"noether\"}");
    }

    @Test
    void leavesRegexGroupReferencesAlone() {
        assertThat(variables.substitute("label_replace(x, \"host\", \"$1\", \"instance\", \"(.+):.*\")"))
                .isEqualTo("label_replace(x, \"host\", \"$1\", \"instance\", \"(.+):.*\")");
    }

    @Test
    void rejectsUnknownVariables() {
        assertThatThrownBy(() -> variables.substitute("x{model=~\"$model\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("$model");
    }

    @Test
    void withOverridesOneValue() {
        assertThat(variables.with("layer", "dense2").substitute("$layer $job")).isEqualTo("dense2 noether");
    }
}
