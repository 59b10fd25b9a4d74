package dev.noether.examples;

import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code dl4j-mlp}: the same teacher–student task and flags as {@code djl-mlp}, on DL4J (ND4J native, CPU). */
@Command(name = "dl4j-mlp", mixinStandardHelpOptions = true,
        description = "Train a DL4J MLP (ND4J native, CPU) on a generated teacher-student task with live metrics.")
final class Dl4jMlpCommand implements Callable<Integer> {
    @Mixin
    TrainingOptions options = new TrainingOptions();

    @Override
    public Integer call() throws Exception {
        try {
            options.validate();
        } catch (IllegalArgumentException e) {
            System.err.println("dl4j-mlp: " + e.getMessage());
            return 2;
        }
        TeacherStudentData data = TeacherStudentData.generate(options.samples, options.seed);
        try (DemoSession session = new DemoSession(options, System.out)) {
            DataSet set = new DataSet(
                    Nd4j.create(data.x, new long[] {data.samples, TeacherStudentData.INPUTS}, 'c'),
                    Nd4j.create(data.y, new long[] {data.samples, TeacherStudentData.OUTPUTS}, 'c'));
            Dl4jTraining.run(options, session, Dl4jNetworks.mlp(options, TeacherStudentData.INPUTS,
                    TeacherStudentData.OUTPUTS, Activation.IDENTITY, LossFunctions.LossFunction.MSE), set);
            session.finish();
        }
        return 0;
    }
}
