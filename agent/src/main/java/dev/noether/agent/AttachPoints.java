package dev.noether.agent;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.util.Set;
import java.util.stream.Collectors;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * Where the agent weaves its advice: the DJL {@code Trainer} constructor, and {@code init}, {@code fit} and
 * {@code setListeners} of the DL4J networks. Classes are matched by name only, so the agent loads none of them itself.
 */
final class AttachPoints {
    static final String DJL_TRAINER = "ai.djl.training.Trainer";
    static final String DL4J_MULTI_LAYER = "org.deeplearning4j.nn.multilayer.MultiLayerNetwork";
    static final String DL4J_GRAPH = "org.deeplearning4j.nn.graph.ComputationGraph";

    private AttachPoints() {}

    /** The names of the classes the agent weaves, in the JVM's internal form ({@code a/b/C}). */
    static final Set<String> INTERNAL_NAMES = Set.of(DJL_TRAINER, DL4J_MULTI_LAYER, DL4J_GRAPH).stream()
            .map(n -> n.replace('.', '/')).collect(Collectors.toUnmodifiableSet());

    /** The weaving as a bare transformer, for {@link DeferredWeaving} to call on the classes it picks out. */
    static ClassFileTransformer transformer() {
        return configured(new AgentBuilder.Default()).makeRaw();
    }

    /** Installs the weaving and applies it to the classes the application has loaded already (dynamic attach). */
    static void installOnLoadedClasses(Instrumentation instrumentation) {
        configured(new AgentBuilder.Default().with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION))
                .installOn(instrumentation);
    }

    private static AgentBuilder configured(AgentBuilder builder) {
        return builder
                .disableClassFormatChanges()
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                .with(new FailureReport())
                .type(named(DJL_TRAINER))
                .transform((b, type, loader, module, domain) -> b.visit(Advice.to(DjlTrainerAdvice.class)
                        .on(isConstructor().and(takesArguments(2)).and(takesArgument(0, named("ai.djl.Model")))
                                .and(takesArgument(1, named("ai.djl.training.TrainingConfig"))))))
                .type(namedOneOf(DL4J_MULTI_LAYER, DL4J_GRAPH))
                .transform((b, type, loader, module, domain) -> b
                        .visit(Advice.to(Dl4jNetworkAdvice.AfterInit.class).on(named("init").and(isPublic())))
                        .visit(Advice.to(Dl4jNetworkAdvice.BeforeFit.class).on(named("fit").and(isPublic())))
                        .visit(Advice.to(Dl4jNetworkAdvice.AroundSetListeners.class)
                                .on(named("setListeners").and(isPublic()).and(takesArguments(1)))));
    }

    /** A class the agent cannot weave is reported in one line; the class itself loads unchanged. */
    private static final class FailureReport extends AgentBuilder.Listener.Adapter {
        @Override
        public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded, Throwable throwable) {
            AgentLog.sayOnce("weave:" + typeName, "cannot instrument " + typeName + " (" + AgentLog.describe(throwable)
                    + "); it runs unmonitored");
        }

        @Override
        public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module, boolean loaded,
                DynamicType dynamicType) {
            // nothing to say: success is silent
        }
    }
}
