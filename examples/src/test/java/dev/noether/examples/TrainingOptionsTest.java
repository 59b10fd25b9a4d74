package dev.noether.examples;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The demos' {@code --noether} flag reaches every NoetherConfig setting, over the demo's own defaults. */
class TrainingOptionsTest {
    @Test
    void theNoetherFlagSetsAnySettingOverTheDemoDefaults() {
        TrainingOptions options = new TrainingOptions();
        options.every = 20;
        options.noether = "observeEvery=1,seed=5";
        assertThat(options.noetherConfig().observeEvery()).isEqualTo(1);
        assertThat(options.noetherConfig().seed()).isEqualTo(5);
        assertThat(options.noetherConfig().analysisEvery()).isEqualTo(20);                      // --every
        assertThat(options.noetherConfig().minAnalysisInterval()).isEqualTo(Duration.ofMillis(500)); // the demo's
        options.noether = "observeEvery=-1";
        assertThatThrownBy(options::validate)
                .hasMessage("--noether 'observeEvery=-1': observeEvery must be at least 1 step (or auto), got -1");
        options.noether = "observeEvery=auto,overheadBudget=0.05";
        assertThat(options.noetherConfig().observesByBudget()).isTrue();
        assertThat(options.noetherConfig().overheadBudget()).isEqualTo(0.05);
    }
}
