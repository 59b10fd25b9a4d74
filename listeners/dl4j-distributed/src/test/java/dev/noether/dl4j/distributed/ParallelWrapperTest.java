package dev.noether.dl4j.distributed;

import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.worker.WorkerIdentity;
import dev.noether.core.worker.WorkerMonitors;
import dev.noether.dl4j.NoetherListener;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DL4J's {@code ParallelWrapper} (AVERAGING, 2 workers) with one Noether listener: DL4J clones it for each replica,
 * so each replica has its own monitor tagged {@code worker=<host-pid>-r<n>} (no "already watches another network"
 * error any more), the wrapper's model is the run's model, and from the first fit to the second the number of
 * monitors, threads and series stays fixed while every replica's step series continues. AVERAGING is not
 * deterministic, so against a run without Noether the test compares what is: the number of parameters and of
 * updates, and that both runs learn (the loss falls well below its start).
 */
class ParallelWrapperTest {
    private static final int WORKERS = 2;
    private static final int BATCH = 16;
    private static final int BATCHES = 40; // per fit: 20 per replica

    @AfterEach
    void release() {
        WorkerMonitors.shared().releaseAll();
    }

    private static ParallelWrapper wrapper(MultiLayerNetwork net) {
        return new ParallelWrapper.Builder<>(net).workers(WORKERS).prefetchBuffer(2).averagingFrequency(2)
                .reportScoreAfterAveraging(false).trainingMode(ParallelWrapper.TrainingMode.AVERAGING).build();
    }

    private static ListDataSetIterator<DataSet> data(List<DataSet> examples) {
        return new ListDataSetIterator<>(examples, BATCH);
    }

    @Test
    void oneMonitorPerReplicaAndTheWrappersModelAsTheRun() throws Exception {
        List<DataSet> examples = SmallMlp.examples(BATCH * BATCHES);
        DataSet all = SmallMlp.merged(examples);

        long plainRetained;
        MultiLayerNetwork plainNet = SmallMlp.network();
        double start = plainNet.score(all);
        try (ParallelWrapper plain = wrapper(plainNet)) {
            ReplicaSpy plainSpy = new ReplicaSpy(); // which of fit 1's replicas DL4J itself keeps
            plain.setListeners(plainSpy);
            plain.fit(data(examples));
            List<WeakReference<Model>> r1 = plainSpy.seen();
            plain.fit(data(examples));
            plainRetained = retainedAfterGc(r1);
        }
        double plainLoss = plainNet.score(all);

        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherListener noether = NoetherListener.builder().registry(registry).modelName("mlp")
                .config(NoetherConfig.builder().analysisEvery(5).minAnalysisInterval(Duration.ZERO).build()).build();
        MultiLayerNetwork net = SmallMlp.network();
        noether.watch(net); // the wrapper's model: the run's model
        String r0 = WorkerIdentity.process() + "-r0", r1 = WorkerIdentity.process() + "-r1";
        ReplicaSpy spy = new ReplicaSpy();
        try (ParallelWrapper wrapper = wrapper(net)) {
            wrapper.setListeners(noether, spy); // Noether's cloned onto each replica, the spy copied
            wrapper.fit(data(examples));
            assertThat(noether.finish()).as("the run's model analysed after fit 1").isTrue();
            Set<String> series1 = NoetherMeters.series(registry);
            long threads1 = NoetherMeters.threads();
            Map<String, Double> steps1 = workerSteps(registry);
            List<WeakReference<Model>> replicas1 = spy.seen();

            wrapper.fit(data(examples));
            assertThat(noether.finish()).as("the run's model analysed after fit 2").isTrue();
            Map<String, Double> steps2 = workerSteps(registry);

            assertThat(NoetherMeters.tagValues(registry, "worker")).as("the run's model and one worker per replica")
                    .containsExactlyInAnyOrder("(none)", r0, r1);
            assertThat(WorkerMonitors.shared().size()).as("replica monitors").isEqualTo(WORKERS);
            // a step and an analysis thread at most per monitor: the replicas' and the run's
            assertThat(threads1).as("Noether threads after fit 1").isLessThanOrEqualTo(2 * (WORKERS + 1));
            assertThat(NoetherMeters.threads()).as("Noether threads after fit 2").isLessThanOrEqualTo(2 * (WORKERS + 1));
            Set<String> series2 = NoetherMeters.series(registry);
            assertThat(series2).containsAll(series1);
            assertThat(series2.stream().filter(id -> !series1.contains(id)))
                    .allMatch(id -> id.startsWith("MeterId{name='noether.pah.exponent.predicted'"));
            double updates1 = steps1.values().stream().mapToDouble(Double::doubleValue).sum();
            double updates2 = steps2.values().stream().mapToDouble(Double::doubleValue).sum();
            assertThat(updates1).as("updates of fit 1, all replicas").isEqualTo(BATCHES);
            assertThat(updates2).as("updates after fit 2").isEqualTo(2 * BATCHES);
            for (String w : List.of(r0, r1)) {
                assertThat(steps2.get(w)).as(w + "'s steps continue").isGreaterThan(steps1.get(w));
            }
            assertThat(NoetherMeters.errors(registry, "adapter")).as("adapter errors").isZero();
            // the replicas of fit 1 are finished: their monitors went on with fit 2's, and Noether holds none of them
            // (DL4J itself keeps one of a fit's replicas until the next: the same without Noether)
            assertThat(replicas1).as("fit 1's replicas").hasSize(WORKERS);
            assertThat(retainedAfterGc(replicas1)).as("fit 1's replica networks still reachable, against "
                    + plainRetained + " without Noether").isLessThanOrEqualTo(plainRetained).isLessThan(WORKERS);
        }
        noether.close(); // the run's monitor; the replicas' are released after the test
        double noetherLoss = net.score(all);
        assertThat(net.numParams()).isEqualTo(plainNet.numParams());
        assertThat(plainLoss).as("the plain run learns").isLessThan(0.5 * start);
        assertThat(noetherLoss).as("the run with Noether learns like it").isLessThan(0.5 * start)
                .isBetween(plainLoss / 3, plainLoss * 3);
    }

    private static long retainedAfterGc(List<WeakReference<Model>> networks) throws InterruptedException {
        for (int i = 0; i < 20; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return networks.stream().filter(r -> r.get() != null).count();
    }

    /** Remembers, weakly, every network it sees train (DL4J copies it onto each replica). */
    private static final class ReplicaSpy extends BaseTrainingListener {
        private final List<WeakReference<Model>> seen = new CopyOnWriteArrayList<>();

        @Override
        public void iterationDone(Model model, int iteration, int epoch) {
            if (seen.stream().noneMatch(r -> r.get() == model)) seen.add(new WeakReference<>(model));
        }

        /** The networks seen so far, and forgets them. */
        List<WeakReference<Model>> seen() {
            List<WeakReference<Model>> out = List.copyOf(seen);
            seen.clear();
            return out;
        }
    }

    private static Map<String, Double> workerSteps(SimpleMeterRegistry registry) {
        Map<String, Double> steps = new TreeMap<>();
        for (FunctionCounter c : registry.find("noether.steps").functionCounters()) {
            String worker = c.getId().getTag("worker");
            if (worker != null) steps.put(worker, c.count());
        }
        return steps;
    }
}
