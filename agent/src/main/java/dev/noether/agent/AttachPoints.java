package dev.noether.agent;

import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isPublic;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.lang.instrument.Instrumentation;
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

    /**
     * Installs the transformation.
     *
     * @param loadedAlready true for {@code agentmain}: classes the application has loaded are retransformed
     */
    static void install(Instrumentation instrumentation, boolean loadedAlready) {
        AgentBuilder builder = new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                .with(new FailureReport());
        if (loadedAlready) builder = builder.with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION);
        builder.type(named(DJL_TRAINER))
                .transform((b, type, loader, module, domain) -> b.visit(Advice.to(DjlTrainerAdvice.class)
                        .on(isConstructor().and(takesArguments(2)).and(takesArgument(0, named("ai.djl.Model")))
                                .and(takesArgument(1, named("ai.djl.training.TrainingConfig"))))))
                .type(namedOneOf(DL4J_MULTI_LAYER, DL4J_GRAPH))
                .transform((b, type, loader, module, domain) -> b
                        .visit(Advice.to(Dl4jNetworkAdvice.AfterInit.class).on(named("init").and(isPublic())))
                        .visit(Advice.to(Dl4jNetworkAdvice.BeforeFit.class).on(named("fit").and(isPublic())))
                        .visit(Advice.to(Dl4jNetworkAdvice.AroundSetListeners.class)
                                .on(named("setListeners").and(isPublic()).and(takesArguments(1)))))
                .installOn(instrumentation);
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
