package dev.noether.dl4j.distributed;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A DL4J-on-Spark training program with no Noether code, for the agent: {@code local[2]}, parameter averaging, 5
 * rounds per {@code fit}, {@code args[0]} fits. After each fit it prints {@code FIT <n> threads=<Noether threads>}
 * (the live threads of Noether's monitors) and waits for a line on standard input (the test scrapes the agent's
 * endpoint meanwhile).
 */
public final class SparkTrainingProgram {
    private SparkTrainingProgram() {}

    public static void main(String[] args) throws Exception {
        int fits = Integer.parseInt(args[0]);
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("noether-agent-spark")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("ERROR");
            JavaRDD<DataSet> data = sc.parallelize(SmallMlp.examples(2 * 16 * 2 * 5), 2);
            ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(1)
                    .batchSizePerWorker(16).averagingFrequency(2).workerPrefetchNumBatches(0)
                    .rddTrainingApproach(RDDTrainingApproach.Direct).collectTrainingStats(false).rngSeed(1).build();
            SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, SmallMlp.network(), master);
            for (int fit = 1; fit <= fits; fit++) {
                sparkNet.fit(data);
                System.out.println("FIT " + fit + " threads=" + NoetherMeters.threads());
                System.out.flush();
                if (in.readLine() == null) break;
            }
        }
    }
}
