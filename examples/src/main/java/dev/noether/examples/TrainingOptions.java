package dev.noether.examples;

import dev.noether.core.runtime.NoetherConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/** The flags every training subcommand shares, with the defaults of the quick start. */
final class TrainingOptions {
    enum Act { relu, tanh, identity }

    enum Opt { sgd, momentum, adam }

    enum Norm { batch, layer, none }

    @Option(names = "--samples", description = "Generated training samples (default: ${DEFAULT-VALUE}).")
    int samples = 4096;

    @Option(names = "--steps", description = "Optimizer steps; 0 trains until Ctrl-C (default: ${DEFAULT-VALUE}).")
    int steps = 0;

    @Option(names = "--lr", description = "Learning rate η (default: ${DEFAULT-VALUE}).")
    double lr = 0.05;

    @Option(names = "--batch", description = "Minibatch size; equal to --samples means full-batch GD (default: ${DEFAULT-VALUE}).")
    int batch = 64;

    @Option(names = "--weight-decay", description = "L2 weight decay γ on every parameter (default: ${DEFAULT-VALUE}).")
    double weightDecay = 3e-3;

    @Option(names = "--width", description = "Hidden-layer width (default: ${DEFAULT-VALUE}).")
    int width = 64;

    @Option(names = "--depth", description = "Number of hidden layers (default: ${DEFAULT-VALUE}).")
    int depth = 3;

    @Option(names = "--norm", description = "batch, layer or none: a normalization after the last hidden layer's "
            + "linear map, before its activation (scale-invariant; default: ${DEFAULT-VALUE}).")
    Norm norm = Norm.batch;

    @Option(names = "--activation", description = "relu, tanh or identity (default: ${DEFAULT-VALUE}).")
    Act activation = Act.relu;

    @Option(names = "--optimizer", description = "sgd, momentum or adam (default: ${DEFAULT-VALUE}).")
    Opt optimizer = Opt.sgd;

    @Option(names = "--every", description = "Heavy-analysis stride N in steps (default: ${DEFAULT-VALUE}).")
    int every = 50;

    @Option(names = "--noether", paramLabel = "key=value,...", description = "Noether settings by NoetherConfig's "
            + "builder names, e.g. observeEvery=1,maxAnalysisShare=0.5; also read from -Dnoether.<key> and NOETHER_<KEY> "
            + "(this flag first). Default: the demo's (every --every steps, at most every 0.5 s).")
    String noether;

    @Option(names = "--port", description = "Metrics port on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = 9464;

    @Option(names = "--events", description = "Write the JSONL event log here (default: none).")
    Path events;

    @Option(names = "--run", description = "The run this process is a worker of: tag run=<run> on every metric (default: none).")
    String run;

    @Option(names = "--worker", description = "This worker's name within the run (default with --run or --targets: <host>-<pid>).")
    String worker;

    @Option(names = "--targets", description = "Folder of Prometheus file_sd target files: write this process's there "
            + "(removed at exit) so that a scraper finds every worker of a run (default: none).")
    Path targets;

    @Option(names = "--seed", description = "Random seed for data and initialization (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--hold", description = "Keep serving metrics after training until Ctrl-C.")
    boolean hold;

    @Option(names = "--progress-every", description = "Print a progress line every this many steps (default: ${DEFAULT-VALUE}).")
    int progressEvery = 250;

    /**
     * The monitor settings of a demo run: heavy analysis every {@code --every} steps, and at most every 0.5 s
     * instead of the library's 2 s, so that a run of a few seconds shows the heavy metrics moving (the
     * analyses of these small models take milliseconds; the 25% CPU-share cap still applies); then whatever
     * {@code --noether}, {@code -Dnoether.*} and {@code NOETHER_*} set, in that order of precedence.
     */
    NoetherConfig noetherConfig() {
        NoetherConfig demo = NoetherConfig.builder().analysisEvery(every).minAnalysisInterval(Duration.ofMillis(500)).build();
        return NoetherConfig.resolve(demo, "--noether", noether, properties(), System.getenv());
    }

    private static java.util.Map<String, String> properties() {
        java.util.Map<String, String> properties = new java.util.HashMap<>();
        System.getProperties().forEach((k, v) -> properties.put(String.valueOf(k), String.valueOf(v)));
        return properties;
    }

    /** True for the hidden layer (0-based) that gets the {@code --norm} normalization: the last one. */
    boolean normalizes(int hiddenLayer) {
        return norm != Norm.none && hiddenLayer == depth - 1;
    }

    /** True when the flags fit together; otherwise says on stderr what is wrong, prefixed by the command. */
    boolean isValid(String command) {
        try {
            validate();
            return true;
        } catch (IllegalArgumentException e) {
            System.err.println(command + ": " + e.getMessage());
            return false;
        }
    }

    /** Checks the combination of flags and says what is wrong. */
    void validate() {
        require(samples > 0, "--samples must be positive");
        require(steps >= 0, "--steps must not be negative (0 trains until Ctrl-C)");
        require(batch > 0 && batch <= samples, "--batch must be between 1 and --samples (" + samples + ")");
        require(lr > 0, "--lr must be positive");
        require(weightDecay >= 0, "--weight-decay must not be negative");
        require(width > 0 && depth > 0, "--width and --depth must be positive");
        require(every > 0, "--every must be positive");
        require(port >= 0 && port <= 65535, "--port must be 0..65535");
        require(progressEvery > 0, "--progress-every must be positive");
        noetherConfig(); // a bad --noether, -Dnoether.* or NOETHER_* setting says so before training
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
