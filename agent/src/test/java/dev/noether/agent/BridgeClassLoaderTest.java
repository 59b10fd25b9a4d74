package dev.noether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.noether.core.runtime.NoetherConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The delegation rules of the bridge, in this JVM: DJL sits in an isolated loader (parent: the platform
 * loader), the listener is defined by the bridge from its own class folder, Noether's core and Micrometer
 * come from this test's loader (standing in for the agent's).
 */
class BridgeClassLoaderTest {
    private static URL location(Class<?> type) {
        return type.getProtectionDomain().getCodeSource().getLocation();
    }

    @Test
    void definesTheListenerNextToTheFrameworkAndSharesNoetherWithTheAgent() throws Exception {
        ClassLoader agent = getClass().getClassLoader();
        try (URLClassLoader framework = new URLClassLoader(new URL[] {location(ai.djl.Model.class)},
                        ClassLoader.getPlatformClassLoader());
                BridgeClassLoader bridge = new BridgeClassLoader(
                        new URL[] {location(dev.noether.djl.NoetherTrainingListener.class), location(BridgeClassLoader.class)},
                        // in the jar Micrometer is relocated under dev.noether.; here it keeps its own name
                        agent, List.of("dev.noether.", "io.micrometer."), framework)) {
            Class<?> listener = bridge.loadClass("dev.noether.djl.NoetherTrainingListener");
            assertThat(listener.getClassLoader()).isSameAs(bridge);
            assertThat(listener).isNotSameAs(dev.noether.djl.NoetherTrainingListener.class);

            // It implements the framework loader's TrainingListener, not the one this test sees.
            Class<?> trainingListener = framework.loadClass("ai.djl.training.listener.TrainingListener");
            assertThat(trainingListener).isNotSameAs(ai.djl.training.listener.TrainingListener.class);
            assertThat(listener.getInterfaces()).containsExactly(trainingListener, AutoCloseable.class);

            // Noether's core and the (in the jar: relocated) Micrometer are the agent's, shared by every bridge.
            Class<?> builder = listener.getMethod("builder").getReturnType();
            assertThat(builder.getMethod("registry", MeterRegistry.class).getParameterTypes()[0]).isSameAs(MeterRegistry.class);
            assertThat(builder.getMethod("config", NoetherConfig.class)).isNotNull();
            assertThat(bridge.loadClass("dev.noether.core.runtime.NoetherConfig")).isSameAs(NoetherConfig.class);
            assertThat(bridge.loadClass("dev.noether.agent.FrameworkHook")).isSameAs(FrameworkHook.class);

            // The bridge hook is bridged too, and is a FrameworkHook of the agent's.
            Class<?> hook = bridge.loadClass("dev.noether.agent.djl.DjlTrainerHook");
            assertThat(hook.getClassLoader()).isSameAs(bridge);
            assertThat(FrameworkHook.class.isAssignableFrom(hook)).isTrue();
            assertThat(bridge.loadClass("java.util.List")).isSameAs(List.class);
        }
    }
}
