package dev.noether.dl4j.distributed;

import dev.noether.core.runtime.NoetherConfig;
import dev.noether.core.runtime.NoetherMonitor;
import dev.noether.core.worker.WorkerMonitors;
import dev.noether.dl4j.NoetherListener;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DL4J on Spark in local mode ({@code local[2]}): a {@code SparkDl4jMultiLayer} with parameter averaging, two
 * workers, 5 averaging rounds per {@code fit}, fitted twice (10 rounds), once with Noether's listener and once
 * without. The listener is serializable (Spark ships it to the tasks), each worker (executor and partition) keeps
 * one monitor whose series continue from round to round, the number of monitors, threads and series stays fixed
 * from the first fit to the second, no adapter error is counted, the driver's averaged model is analysed as the
 * run's model, and the trained parameters are bit-identical to those trained without Noether.
 */
class SparkParameterAveragingTest {
    private static final int WORKERS = 2;
    private static final int BATCH = 16;
    private static final int AVERAGING = 2;
    private static final int ROUNDS_PER_FIT = 5;
    private static final int EXAMPLES = WORKERS * BATCH * AVERAGING * ROUNDS_PER_FIT;

    private static JavaSparkContext sc;
    private static JavaRDD<DataSet> data;

    @BeforeAll
    static void startSpark() {
        SparkConf conf = new SparkConf().setMaster("local[" + WORKERS + "]").setAppName("noether-parameter-averaging")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false");
        sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        data = sc.parallelize(SmallMlp.examples(EXAMPLES), WORKERS);
    }

    @AfterAll
    static void stopSpark() {
        if (sc != null) sc.stop();
        WorkerMonitors.shared().releaseAll();
    }

    private static SparkDl4jMultiLayer sparkNet(MultiLayerNetwork net) {
        ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(1)
                .batchSizePerWorker(BATCH).averagingFrequency(AVERAGING).workerPrefetchNumBatches(0)
                .rddTrainingApproach(RDDTrainingApproach.Direct).collectTrainingStats(false)
                .rngSeed(20240217) // the split of the data into rounds; random by default
                .build();
        return new SparkDl4jMultiLayer(sc, net, master);
    }

    @Test
    void workersKeepOneMonitorEachAcrossRoundsAndTrainingIsUnchanged() {
        // without Noether
        SparkDl4jMultiLayer plain = sparkNet(SmallMlp.network());
        plain.fit(data);
        plain.fit(data);
        String withoutNoether = SmallMlp.hash(plain.getNetwork().params());

        // with Noether: one listener, shipped to the workers and watching the driver's model
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NoetherListener noether = NoetherListener.builder().registry(registry).modelName("mlp")
                .config(NoetherConfig.builder().analysisEvery(4).minAnalysisInterval(Duration.ZERO).build()).build();
        SparkDl4jMultiLayer watched = sparkNet(SmallMlp.network());
        watched.setListeners(noether);          // Spark serializes it into every task
        noether.watch(watched.getNetwork());     // the driver's averaged model: the run's model

        watched.fit(data);
        assertThat(noether.finish()).as("the run's model analysed after the first fit").isTrue();
        Set<String> series1 = NoetherMeters.series(registry);
        long threads1 = NoetherMeters.threads();
        int monitors1 = WorkerMonitors.shared().size();
        Map<String, Double> steps1 = workerSteps(registry);

        watched.fit(data);
        assertThat(noether.finish()).as("the run's model analysed after the second fit").isTrue();
        Set<String> series2 = NoetherMeters.series(registry);
        Map<String, Double> steps2 = workerSteps(registry);

        assertThat(NoetherMeters.tagValues(registry, "worker")).as("workers: the run's model and one per partition")
                .containsExactlyInAnyOrder("(none)", "driver-p0", "driver-p1");
        assertThat(monitors1).as("worker monitors after 5 rounds").isEqualTo(WORKERS);
        assertThat(WorkerMonitors.shared().size()).as("worker monitors after 10 rounds").isEqualTo(WORKERS);
        // a step and an analysis thread at most per monitor, the workers' and the run's (before: two per round)
        assertThat(threads1).as("Noether threads after 5 rounds").isLessThanOrEqualTo(2 * (WORKERS + 1));
        assertThat(NoetherMeters.threads()).as("Noether threads after 10 rounds").isLessThanOrEqualTo(2 * (WORKERS + 1));
        assertThat(SmallMlp.hash(watched.getNetwork().params())).as("parameters with Noether")
                .isEqualTo(withoutNoether);
        noether.close(); // the run's monitor; the workers' are released after all tests
        // the same series: only a gauge that a learned state brings (the predicted PAH exponent of a CRH phase) may
        // appear later; a new model or worker never does
        assertThat(series2).as("Noether series after 10 rounds").containsAll(series1);
        assertThat(series2.stream().filter(id -> !series1.contains(id)))
                .as("series that appeared between round 5 and round 10")
                .allMatch(id -> id.startsWith("MeterId{name='noether.pah.exponent.predicted'"));
        for (String worker : List.of("driver-p0", "driver-p1")) {
            // every round trains AVERAGING minibatches on each worker, each one step
            assertThat(steps1.get(worker)).as(worker + " steps after fit 1").isEqualTo(ROUNDS_PER_FIT * AVERAGING);
            assertThat(steps2.get(worker)).as(worker + " steps continue in fit 2").isEqualTo(2 * ROUNDS_PER_FIT * AVERAGING);
        }
        assertThat(NoetherMeters.errors(registry, "adapter")).as("adapter errors").isZero();
        assertThat(registry.find("noether.layer.weight.norm").tag("worker", "driver-p0").gauges()).isNotEmpty();
        NoetherMonitor run = noether.monitor().orElseThrow();
        assertThat(run.latestAnalysis()).as("the run's model was analysed").isNotNull();
        assertThat(run.value("layer.weight.norm", "layer", "layer0")).isPresent();

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
