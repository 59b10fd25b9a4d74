package dev.noether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.noether.core.runtime.NoetherConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentOptionsTest {
    private static final Map<String, String> NONE = Map.of();

    @Test
    void defaultsWhenNothingIsSet() {
        AgentOptions o = AgentOptions.resolve(null, NONE, NONE);
        assertThat(o.enabled()).isTrue();
        assertThat(o.gpu()).isTrue();
        assertThat(o.port()).isEqualTo(9464);
        assertThat(o.host()).isEqualTo("127.0.0.1");
        assertThat(o.noetherConfig()).usingRecursiveComparison().isEqualTo(NoetherConfig.defaults());
        assertThat(o.eventLog()).isEmpty();
        assertThat(o.model()).isEmpty();
        assertThat(o.run()).isEmpty();
        assertThat(o.worker()).isEmpty();
        assertThat(o.targets()).isEmpty();
    }

    @Test
    void agentArgumentSetsEveryOption() {
        AgentOptions o = AgentOptions.resolve(
                " port=0 , host=0.0.0.0,every=7,observe=1,interval=0.5,share=1,events=/tmp/n.jsonl,model=resnet,run=r1,"
                        + "worker=3,targets=/shared/noether,gpu=false,enabled=FALSE",
                NONE, NONE);
        assertThat(o.port()).isZero();
        assertThat(o.host()).isEqualTo("0.0.0.0");
        assertThat(o.noetherConfig()).usingRecursiveComparison().isEqualTo(NoetherConfig.builder()
                .analysisEvery(7).observeEvery(1).minAnalysisInterval(Duration.ofMillis(500)).maxAnalysisShare(1).build());
        assertThat(o.eventLog()).contains(Path.of("/tmp/n.jsonl"));
        assertThat(o.model()).contains("resnet");
        assertThat(o.run()).contains("r1");
        assertThat(o.worker()).contains("3");
        assertThat(o.targets()).contains(Path.of("/shared/noether"));
        assertThat(o.gpu()).isFalse();
        assertThat(o.enabled()).isFalse();
    }

    @Test
    void agentArgumentBeatsSystemPropertyBeatsEnvironmentBeatsDefault() {
        Map<String, String> properties = Map.of("noether.port", "2000", "noether.every", "20");
        Map<String, String> environment = Map.of("NOETHER_PORT", "3000", "NOETHER_EVERY", "30", "NOETHER_OBSERVE", "3");
        AgentOptions o = AgentOptions.resolve("port=1000", properties, environment);
        assertThat(o.port()).isEqualTo(1000);          // argument over property and environment
        assertThat(o.noetherConfig().analysisEvery()).isEqualTo(20);   // property over environment
        assertThat(o.noetherConfig().observeEvery()).isEqualTo(3);     // environment over default
        assertThat(o.host()).isEqualTo("127.0.0.1");   // default
    }

    @Test
    void badValueNamesTheOptionItsSourceAndWhatIsWrong() {
        assertThatThrownBy(() -> AgentOptions.resolve("port=abc", NONE, NONE))
                .isInstanceOf(InvalidAgentOptionException.class)
                .hasMessage("agent option 'port=abc' is not a port number 0..65535");
        assertThatThrownBy(() -> AgentOptions.resolve(null, Map.of("noether.every", "0"), NONE))
                .hasMessage("system property noether.every='0': analysisEvery must be at least 1 step, got 0");
        assertThatThrownBy(() -> AgentOptions.resolve(null, NONE, Map.of("NOETHER_GPU", "off")))
                .hasMessage("environment variable NOETHER_GPU='off' is not true or false");
        assertThatThrownBy(() -> AgentOptions.resolve(null, NONE, Map.of("NOETHER_PORT", "70000")))
                .hasMessage("environment variable NOETHER_PORT='70000' is not a port number 0..65535");
    }

    @Test
    void onlyTheWinningSourceIsChecked() {
        // The argument wins for port; the bad property below it is never used, so it is no error.
        AgentOptions o = AgentOptions.resolve("port=1", Map.of("noether.port", "x"), NONE);
        assertThat(o.port()).isEqualTo(1);
    }

    @Test
    void unknownKeysInTheArgumentAreErrorsButUnknownPropertiesAndVariablesAreNotOurs() {
        assertThatThrownBy(() -> AgentOptions.resolve("prot=9464", NONE, NONE))
                .hasMessageStartingWith("agent option 'prot=9464' is unknown (known: port, host, events, model, targets, run, worker, gpu, "
                        + "enabled, analysisEvery, observeEvery,")
                .hasMessageEndingWith("; aliases: every, interval, observe, share)");
        AgentOptions o = AgentOptions.resolve(null, Map.of("noether.colour", "red"), Map.of("NOETHER_HOME", "/opt"));
        assertThat(o.port()).isEqualTo(9464);
    }

    @Test
    void allProblemsAreReportedInOneMessage() {
        assertThatThrownBy(() -> AgentOptions.resolve("port,every=-1,port=1,port=2", NONE, NONE))
                .hasMessage("agent option 'port' has no value (write key=value); agent option 'port' is given twice; "
                        + "agent option 'every=-1': analysisEvery must be at least 1 step, got -1");
    }

    @Test
    void decimalOptionsAreChecked() {
        assertThatThrownBy(() -> AgentOptions.resolve("share=0", NONE, NONE))
                .hasMessage("agent option 'share=0': maxAnalysisShare must be in (0, 1], got 0.0");
        assertThatThrownBy(() -> AgentOptions.resolve("interval=-1", NONE, NONE))
                .hasMessage("agent option 'interval=-1': minAnalysisInterval must not be negative, got PT-1S");
        assertThatThrownBy(() -> AgentOptions.resolve("interval=soon", NONE, NONE))
                .hasMessage("agent option 'interval=soon': minAnalysisInterval must be a duration (2s, 500ms, 1m, PT2S or "
                        + "a number of seconds), got 'soon'");
    }

    @Test
    void emptyValuesAreRejected() {
        assertThatThrownBy(() -> AgentOptions.resolve("model=", NONE, NONE))
                .hasMessage("agent option 'model=' is empty");
    }

    @Test
    void everyNoetherConfigSettingIsReachableFromTheAgentArgumentByItsBuilderName() {
        NoetherConfig expected = NoetherConfig.builder().analysisEvery(7).observeEvery(3)
                .minAnalysisInterval(Duration.ofMillis(250)).maxAnalysisShare(0.5).alignmentThreshold(0.6)
                .alignmentHysteresis(0.1).deadAbsolute(1e-5).deadRelative(0.01).distinctCosine(0.95)
                .blockCorrelation(0.8).exactDimensionLimit(512).seed(99).build();
        // the same text the configuration prints: every setting by its builder method name
        AgentOptions o = AgentOptions.resolve("port=0," + expected, NONE, NONE);
        assertThat(o.noetherConfig()).isEqualTo(expected);
        assertThat(expected.toString()).contains(String.join("=", "seed", "99"));
        for (String key : NoetherConfig.keys()) {
            assertThat(expected.toString()).contains(key + "=");
        }
    }

    @Test
    void settingsByTheirBuilderNamesAlsoComeFromPropertiesAndTheEnvironment() {
        AgentOptions o = AgentOptions.resolve("analysisEvery=11",
                Map.of("noether.analysisEvery", "22", "noether.distinctCosine", "0.9"),
                Map.of("NOETHER_ANALYSIS_EVERY", "33", "NOETHER_DISTINCT_COSINE", "0.8", "NOETHER_BLOCK_CORRELATION", "0.7"));
        assertThat(o.noetherConfig().analysisEvery()).isEqualTo(11);
        assertThat(o.noetherConfig().distinctCosine()).isEqualTo(0.9);
        assertThat(o.noetherConfig().blockCorrelation()).isEqualTo(0.7);
        assertThatThrownBy(() -> AgentOptions.resolve("seed=x", NONE, NONE))
                .hasMessage("agent option 'seed=x': seed must be a whole number, got 'x'");
        assertThatThrownBy(() -> AgentOptions.resolve("every=5,analysisEvery=6", NONE, NONE))
                .hasMessage("agent option 'analysisEvery' is given twice");
    }
}
