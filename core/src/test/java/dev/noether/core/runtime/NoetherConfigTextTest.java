package dev.noether.core.runtime;

import dev.noether.core.linalg.LinearAlgebra;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link NoetherConfig}'s text form: every setting by its builder name, one message per bad key, precedence. */
class NoetherConfigTextTest {
    /** Every setting away from its default, and the text of each. */
    private static final NoetherConfig ALL_CHANGED = NoetherConfig.builder().analysisEvery(7).observeEvery(3)
            .overheadBudget(0.05).minAnalysisInterval(Duration.ofMillis(250)).maxAnalysisShare(0.5).maxProbeTime(Duration.ofSeconds(3))
            .alignmentThreshold(0.6).alignmentHysteresis(0.1).deadAbsolute(1e-5).deadRelative(0.01).distinctCosine(0.95).blockCorrelation(0.8)
            .exactDimensionLimit(512).seed(99).sketchRank(128)
            .linearAlgebra(LinearAlgebra.Backend.JAVA).build();
    private static final Map<String, String> TEXT = new LinkedHashMap<>();

    static {
        TEXT.put("analysisEvery", "7");
        TEXT.put("observeEvery", "3");
        TEXT.put("overheadBudget", "0.05");
        TEXT.put("minAnalysisInterval", "250ms");
        TEXT.put("maxAnalysisShare", "0.5");
        TEXT.put("maxProbeTime", "3s");
        TEXT.put("alignmentThreshold", "0.6");
        TEXT.put("alignmentHysteresis", "0.1");
        TEXT.put("deadAbsolute", "1e-5");
        TEXT.put("deadRelative", "0.01");
        TEXT.put("distinctCosine", "0.95");
        TEXT.put("blockCorrelation", "0.8");
        TEXT.put("exactDimensionLimit", "512");
        TEXT.put("seed", "99");
        TEXT.put("sketchRank", "128");
        TEXT.put("linearAlgebra", "java");
    }

    @Test
    void theKeysAreTheBuildersMethodNames() throws NoSuchMethodException {
        assertThat(NoetherConfig.keys()).containsExactlyElementsOf(TEXT.keySet());
        for (String key : NoetherConfig.keys()) {
            assertThat(NoetherConfig.Builder.class.getMethods()).as("builder method %s", key)
                    .anyMatch(m -> m.getName().equals(key) && m.getParameterCount() == 1);
        }
    }

    @Test
    void everySettingParsesFromAStringAndFromAMap() {
        StringBuilder text = new StringBuilder();
        TEXT.forEach((k, v) -> text.append(text.length() == 0 ? "" : ",").append(k).append('=').append(v));
        assertThat(NoetherConfig.parse(text.toString())).isEqualTo(ALL_CHANGED);
        assertThat(NoetherConfig.fromMap(TEXT)).isEqualTo(ALL_CHANGED);
        // each alone, through the builder's set
        for (Map.Entry<String, String> e : TEXT.entrySet()) {
            NoetherConfig one = NoetherConfig.builder().set(e.getKey(), e.getValue()).build();
            assertThat(one).as(e.getKey()).isNotEqualTo(NoetherConfig.defaults());
            assertThat(one.toString()).contains(e.getKey() + "=");
        }
        // the printed form reads back
        assertThat(NoetherConfig.parse(ALL_CHANGED.toString())).isEqualTo(ALL_CHANGED);
        assertThat(NoetherConfig.parse(" analysisEvery = 7 , ")).isEqualTo(NoetherConfig.builder().analysisEvery(7).build());
    }

    @Test
    void theOldShortNamesAreAliases() {
        assertThat(NoetherConfig.parse("every=7,observe=3,interval=0.25,share=0.5")).isEqualTo(NoetherConfig.builder()
                .analysisEvery(7).observeEvery(3).minAnalysisInterval(Duration.ofMillis(250)).maxAnalysisShare(0.5).build());
    }

    @Test
    void theOverheadBudgetSchedulesTheStepTierUnlessAStrideIsFixed() {
        assertThat(NoetherConfig.defaults().observesByBudget()).isTrue();
        assertThat(NoetherConfig.defaults().observeEvery()).isEqualTo(NoetherConfig.AUTO);
        assertThat(NoetherConfig.defaults().overheadBudget()).isEqualTo(0.02);
        assertThat(NoetherConfig.defaults().toString()).contains("observeEvery=auto,overheadBudget=0.02");
        assertThat(NoetherConfig.parse("observeEvery=auto")).isEqualTo(NoetherConfig.defaults());
        assertThat(NoetherConfig.parse("observeEvery=1").observesByBudget()).isFalse();
        assertThat(NoetherConfig.parse("observeEvery=1").observes(12345)).isTrue();
        assertThat(NoetherConfig.defaults().observes(0)).as("no fixed stride").isFalse();
        assertThatThrownBy(() -> NoetherConfig.parse("overheadBudget=0"))
                .hasMessage("setting 'overheadBudget=0': overheadBudget must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> NoetherConfig.parse("observeEvery=sometimes"))
                .hasMessage("setting 'observeEvery=sometimes': observeEvery must be a whole number, got 'sometimes'");
    }

    @Test
    void durationsInEveryWrittenForm() {
        for (String text : List.of("2s", "2000ms", "PT2S", "2", "2.0", "0.0333333333333333333m", "2000000us", "2000000000ns")) {
            assertThat(NoetherConfig.parse("minAnalysisInterval=" + text).minAnalysisInterval().toMillis()).as(text)
                    .isEqualTo(2000);
        }
    }

    @Test
    void aBadKeyOrValueGivesOneMessageNamingIt() {
        assertThatThrownBy(() -> NoetherConfig.parse("analysisEvry=5"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("setting 'analysisEvry=5' is unknown (known: analysisEvery, observeEvery,");
        assertThatThrownBy(() -> NoetherConfig.parse("analysisEvery=0"))
                .hasMessage("setting 'analysisEvery=0': analysisEvery must be at least 1 step, got 0");
        assertThatThrownBy(() -> NoetherConfig.parse("deadRelative=lots"))
                .hasMessage("setting 'deadRelative=lots': deadRelative must be a number, got 'lots'");
        assertThatThrownBy(() -> NoetherConfig.parse("observeEvery"))
                .hasMessage("setting 'observeEvery' has no value (write key=value)");
        assertThatThrownBy(() -> NoetherConfig.builder().set("share", "2"))
                .hasMessage("Noether setting 'share=2': maxAnalysisShare must be in (0, 1], got 2.0");
        assertThatThrownBy(() -> NoetherConfig.builder().set("colour", "red"))
                .hasMessageStartingWith("unknown Noether setting 'colour' (known: analysisEvery,");
        // all problems at once, each naming its key
        assertThatThrownBy(() -> NoetherConfig.parse("seed=x,alignmentThreshold=3"))
                .hasMessage("setting 'alignmentThreshold=3': alignmentThreshold must be in [-1.0, 1.0], got 3.0; "
                        + "setting 'seed=x': seed must be a whole number, got 'x'");
    }

    @Test
    void argumentBeatsSystemPropertyBeatsEnvironmentBeatsDefault() {
        NoetherConfig c = NoetherConfig.resolve(NoetherConfig.defaults(), "--noether", "analysisEvery=1",
                Map.of("noether.analysisEvery", "2", "noether.observeEvery", "2"),
                Map.of("NOETHER_ANALYSIS_EVERY", "3", "NOETHER_OBSERVE_EVERY", "3", "NOETHER_SEED", "3"));
        assertThat(c.analysisEvery()).isEqualTo(1);
        assertThat(c.observeEvery()).isEqualTo(2);
        assertThat(c.seed()).isEqualTo(3);
        assertThat(c.deadRelative()).isEqualTo(NoetherConfig.defaults().deadRelative());
        // the base is the default of a source-less setting
        NoetherConfig base = NoetherConfig.builder().analysisEvery(40).build();
        assertThat(NoetherConfig.resolve(base, "--noether", "", Map.of(), Map.of()).analysisEvery()).isEqualTo(40);
        // only the winning source is checked; a bad one below it is no error
        assertThat(NoetherConfig.resolve(base, "--noether", "seed=1", Map.of("noether.seed", "x"), Map.of()).seed()).isEqualTo(1);
        assertThatThrownBy(() -> NoetherConfig.resolve(base, "--noether", "", Map.of(), Map.of("NOETHER_SEED", "x")))
                .hasMessage("environment variable NOETHER_SEED='x': seed must be a whole number, got 'x'");
        assertThat(NoetherConfig.environmentName("minAnalysisInterval")).isEqualTo("NOETHER_MIN_ANALYSIS_INTERVAL");
        assertThat(NoetherConfig.resolve(base, "--noether", null, Map.of("noether.every", "9"), Map.of()).analysisEvery())
                .isEqualTo(9);
    }
}
