package dev.noether.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.nn.transformer.TransformerEncoderBlock;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * The probe's written-out attention ({@link TransformerProbe}) against DJL's own forward pass of the same trained
 * blocks, and the moments of a projection over (sequence, token) samples against sums written out here.
 */
class TransformerProbeTest {
    private static final int TOKENS = 5;
    private static final int EMBEDDING = 8;
    private static final int B = 6;

    private static SequentialBlock encoder() {
        return new SequentialBlock()
                .add(new TransformerEncoderBlock(EMBEDDING, 2, 16, 0f, Activation::relu))
                .add(new TransformerEncoderBlock(EMBEDDING, 2, 16, 0f, Activation::relu))
                .add(new LambdaBlock(x -> new NDList(x.singletonOrThrow().mean(new int[] {1})), "meanOverTokens"))
                .add(Linear.builder().setUnits(2).build());
    }

    @Test
    void theWrittenOutForwardPassIsDjlsOwnAndTheProjectionMomentsRunOverTokens() {
        TeacherStudent data = TeacherStudent.generate(64, TOKENS * EMBEDDING, 2, 13);
        Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
        SequentialBlock block = encoder();
        try (DjlRun run = new DjlRun(block, data, new Shape(TOKENS, EMBEDDING), sgd, 5)) {
            run.steps(20, 16); // trained: running statistics and weights away from their initial values
            float[] x = data.xRows(0, B);
            try (NDManager m = run.trainer.getManager().newSubManager()) {
                NDArray input = m.create(x, new Shape(B, TOKENS, EMBEDDING));
                ParameterStore store = new ParameterStore(m, false);
                for (int k = 0; k < 2; k++) {
                    Block encoderBlock = block.getChildren().get(k).getValue();
                    Block attention = encoderBlock.getChildren().get(0).getValue();
                    float[] djlAttention = attention.forward(store, new NDList(input), false).head().toFloatArray();
                    float[] ourAttention = TransformerProbe.forward(attention, new NDList(input), store,
                            (linear, in) -> linear.forward(store, in, false)).head().toFloatArray();
                    for (int i = 0; i < djlAttention.length; i++) {
                        assertThat((double) ourAttention[i]).as("attention %d entry %d", k, i).isCloseTo(djlAttention[i], offset(1e-4));
                    }
                    float[] djl = encoderBlock.forward(store, new NDList(input), false).head().toFloatArray();
                    float[] ours = TransformerProbe.forward(encoderBlock, new NDList(input), store,
                            (linear, in) -> linear.forward(store, in, false)).head().toFloatArray();
                    assertThat(ours).hasSize(djl.length);
                    for (int i = 0; i < djl.length; i++) {
                        assertThat((double) ours[i]).as("block %d entry %d", k, i).isCloseTo(djl[i], offset(1e-4));
                    }
                }
            }

            // H_a of the first block's query projection over the B·T (sequence, token) samples: E[x xᵀ]; H_b with W, b
            MappedNetwork net = new DjlNetworkMapper(run.trainer.getManager()).map("m", run.model.getBlock());
            List<String> names = net.dense().stream().map(MappedNetwork.DenseParameters::name).toList();
            int q = names.indexOf("01TransformerEncoderBlock_01selfAttention_02queryProjection");
            assertThat(q).isNotNegative();
            List<ProbeRunner.Moments> moments;
            try (NDManager m = run.trainer.getManager().newSubManager();
                 ProbeBatch batch = ProbeBatch.copyOf(new NDList(m.create(x, new Shape(B, TOKENS, EMBEDDING))),
                         new NDList(m.create(data.yRows(0, B), new Shape(B, 2))), 100, run.trainer.getManager(),
                         Device.cpu())) {
                moments = new ProbeRunner(net, batch).measure(run.trainer);
            }
            ProbeRunner.Moments query = moments.stream().filter(p -> p.layer() == q).findFirst().orElseThrow();
            assertThat(query.samples()).isEqualTo(B * TOKENS);
            ScaledDotProductAttentionBlock attention = (ScaledDotProductAttentionBlock) block.getChildren().get(0)
                    .getValue().getChildren().get(0).getValue();
            float[] w = attention.getQueryProjection().getParameters().get("weight").getArray().toFloatArray();
            float[] b = attention.getQueryProjection().getParameters().get("bias").getArray().toFloatArray();
            int rows = B * TOKENS;
            double[] ha = new double[EMBEDDING * EMBEDDING];
            double[] hb = new double[EMBEDDING * EMBEDDING];
            for (int r = 0; r < rows; r++) {
                double[] z = new double[EMBEDDING];
                for (int i = 0; i < EMBEDDING; i++) {
                    z[i] = b[i];
                    for (int j = 0; j < EMBEDDING; j++) {
                        ha[i * EMBEDDING + j] += (double) x[r * EMBEDDING + i] * x[r * EMBEDDING + j] / rows;
                        z[i] += (double) w[i * EMBEDDING + j] * x[r * EMBEDDING + j];
                    }
                }
                for (int i = 0; i < EMBEDDING; i++) {
                    for (int j = 0; j < EMBEDDING; j++) {
                        hb[i * EMBEDDING + j] += z[i] * z[j] / rows;
                    }
                }
            }
            for (int i = 0; i < ha.length; i++) {
                assertThat((double) query.inputMoment()[i]).isCloseTo(ha[i], offset(1e-4));
                assertThat((double) query.outputMoment()[i]).isCloseTo(hb[i], offset(1e-4));
            }
            assertThat(query.outputGradientMoment()).as("G_b taken through the written-out pass").isNotNull();
        }
    }
}
