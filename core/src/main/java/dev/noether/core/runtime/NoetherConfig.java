package dev.noether.core.runtime;

import dev.noether.core.linalg.LinearAlgebra;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Immutable settings of a {@link NoetherMonitor}. Defaults follow METRICS.md; every setter checks its
 * argument and says what is wrong, so a bad configuration fails at start-up, never during training.
 *
 * <pre>{@code
 * NoetherConfig config = NoetherConfig.builder().analysisEvery(100).build();
 * NoetherConfig same = NoetherConfig.parse("analysisEvery=100");
 * }</pre>
 *
 * <p><b>Settings by name.</b> Every setting also has a text form whose key is the builder's method name
 * ({@link #keys()}): {@link #parse(String)} reads {@code key=value,...}, {@link #fromMap(Map)} a map, and
 * {@link #resolve} the sources a deployment uses, in this order of precedence: an argument (the agent's
 * {@code -javaagent:...=analysisEvery=100}, a demo's flag), the system property {@code -Dnoether.<key>}, the
 * environment variable {@code NOETHER_<KEY>} ({@code NOETHER_ANALYSIS_EVERY}), the default. Values are
 * validated once, by the builder; a bad key or value gives one message naming the key and its source.
 * Durations are written {@code 2s}, {@code 500ms}, {@code 1m}, ISO-8601 ({@code PT2S}) or as plain seconds
 * ({@code 0.5}). The agent's original short names stay as aliases: {@code every} (analysisEvery),
 * {@code observe} (observeEvery), {@code interval} (minAnalysisInterval), {@code share} (maxAnalysisShare).
 */
public final class NoetherConfig {
    /** {@link #observeEvery()} when the overhead budget, not a fixed stride, schedules the step tier. */
    public static final int AUTO = 0;

    private final int analysisEvery;
    private final int observeEvery;
    private final double overheadBudget;
    private final Duration minAnalysisInterval;
    private final double maxAnalysisShare;
    private final Duration maxProbeTime;
    private final double alignmentThreshold;
    private final double alignmentHysteresis;
    private final double deadAbsolute;
    private final double deadRelative;
    private final double distinctCosine;
    private final double blockCorrelation;
    private final int exactDimensionLimit;
    private final int sketchRank;
    private final long seed;
    private final LinearAlgebra.Backend linearAlgebra;

    private NoetherConfig(Builder b) {
        this.analysisEvery = b.analysisEvery;
        this.observeEvery = b.observeEvery;
        this.overheadBudget = b.overheadBudget;
        this.minAnalysisInterval = b.minAnalysisInterval;
        this.maxAnalysisShare = b.maxAnalysisShare;
        this.maxProbeTime = b.maxProbeTime;
        this.alignmentThreshold = b.alignmentThreshold;
        this.alignmentHysteresis = b.alignmentHysteresis;
        this.deadAbsolute = b.deadAbsolute;
        this.deadRelative = b.deadRelative;
        this.distinctCosine = b.distinctCosine;
        this.blockCorrelation = b.blockCorrelation;
        this.exactDimensionLimit = b.exactDimensionLimit;
        this.sketchRank = b.sketchRank;
        this.seed = b.seed;
        this.linearAlgebra = b.linearAlgebra;
    }

    /** The defaults of METRICS.md. */
    public static NoetherConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.analysisEvery = analysisEvery;
        b.observeEvery = observeEvery;
        b.overheadBudget = overheadBudget;
        b.minAnalysisInterval = minAnalysisInterval;
        b.maxAnalysisShare = maxAnalysisShare;
        b.maxProbeTime = maxProbeTime;
        b.alignmentThreshold = alignmentThreshold;
        b.alignmentHysteresis = alignmentHysteresis;
        b.deadAbsolute = deadAbsolute;
        b.deadRelative = deadRelative;
        b.distinctCosine = distinctCosine;
        b.blockCorrelation = blockCorrelation;
        b.exactDimensionLimit = exactDimensionLimit;
        b.sketchRank = sketchRank;
        b.seed = seed;
        b.linearAlgebra = linearAlgebra;
        return b;
    }

    /** N: the heavy analysis runs at most every N steps (default 50). */
    public int analysisEvery() {
        return analysisEvery;
    }

    /**
     * K, a fixed observation stride, or {@link #AUTO} (0, the default): the overhead budget then decides how often
     * the step tier observes ({@link #overheadBudget()}, METRICS.md §6). K = 1 observes every step (for
     * accelerators and large models, where every step is affordable); K above 1 observes the two consecutive steps
     * t, t+1 with t a multiple of K, so that the one-step charge identity is still checked on 2 steps in K (three,
     * t..t+2, under heavy ball and Nesterov, whose prediction needs the update before). The
     * step counter and the last-step timestamp move on every step; the loss and the other step-tier metrics on
     * observed steps.
     */
    public int observeEvery() {
        return observeEvery;
    }

    /** True when the step tier's schedule is the overhead budget's, not a fixed stride. */
    public boolean observesByBudget() {
        return observeEvery == AUTO;
    }

    /**
     * True when step {@code step} is one of the steps a fixed stride observes ({@link #observeEvery()} of 1 or
     * more); under {@link #AUTO} the monitor's governor decides, and this is false.
     */
    public boolean observes(long step) {
        return observeEvery == 1 || observeEvery > 1 && Math.floorMod(step, observeEvery) <= 1;
    }

    /**
     * B: the largest share (0–1) of the training's wall time the monitor may cost, measured online (default
     * 0.02). The cost counts the training thread's time inside Noether (the step copies, the probe batch) and
     * what the monitor's own threads (the step tier's sums, the heavy analysis) take away from training, as
     * measured by comparing the training's step times while those threads work and while they are idle. Half of
     * the budget pays the step tier, whose runs of consecutive steps it schedules (unless {@link #observeEvery()}
     * fixes them), half the probe and heavy analysis; what one half cannot use goes to the other. 1 lifts the
     * budget: every step is observed and analyses are bounded only by {@link #analysisEvery()}, the time floor
     * and {@link #maxAnalysisShare()}.
     */
    public double overheadBudget() {
        return overheadBudget;
    }

    /** The time floor between two heavy analyses (default 2 s). */
    public Duration minAnalysisInterval() {
        return minAnalysisInterval;
    }

    /**
     * A ceiling on the share of wall time the background analysis thread may run (default 0.25), even where the
     * overhead budget finds it costs training nothing (a spare core): after an analysis of d seconds the next
     * waits d(1/share − 1) seconds. Skips for this reason are counted as "rate_limited"; skips because the budget
     * has no room as "budget".
     */
    public double maxAnalysisShare() {
        return maxAnalysisShare;
    }

    /**
     * The longest one periodic probe pass may hold the training thread (default 200 ms). Before it runs, its cost is
     * estimated from the layer shapes and the throughput measured on this model's earlier passes
     * ({@link dev.noether.core.probe.ProbeAllowance#plan}); a pass that would take longer measures fewer convolution
     * positions, then fewer samples, or none (counted as {@code noether.analysis.skipped{reason="probe_cost"}}; the
     * heavy analysis then reads the weights alone). The final probe at training end gets half of what is left of
     * its {@link NoetherMonitor#FINAL_ANALYSIS_TIMEOUT}, whatever this says.
     */
    public Duration maxProbeTime() {
        return maxProbeTime;
    }

    /** τ: a CRH relation holds when its alignment is at least τ (default 0.7). */
    public double alignmentThreshold() {
        return alignmentThreshold;
    }

    /** A holding relation lets go only below τ minus this (default 0.05), so phases do not flicker. */
    public double alignmentHysteresis() {
        return alignmentHysteresis;
    }

    /** A neuron is dead when ‖w_i‖·‖u_i‖ is at most this (default 1e-6). */
    public double deadAbsolute() {
        return deadAbsolute;
    }

    /** ... or below this fraction of the median ‖w_j‖·‖u_j‖ (default 1e-3). */
    public double deadRelative() {
        return deadRelative;
    }

    /** Two neurons are the same when both cosines exceed this (default 0.99). */
    public double distinctCosine() {
        return distinctCosine;
    }

    /** Pre-activations with |Pearson r| at least this form a block (default 0.9). */
    public double blockCorrelation() {
        return blockCorrelation;
    }

    /**
     * Above this width (a layer's larger dimension) CRH alignments, PAH, FDT and the representation rank use
     * Nyström sketches with the error bounds stated in the metric help, and the layer's singular values come
     * from the smaller Gram matrix (default 1024).
     */
    public int exactDimensionLimit() {
        return exactDimensionLimit;
    }

    /** Seed of the random orthogonal matrices of the CRH baseline. */
    public long seed() {
        return seed;
    }

    /** One setting by name: how to parse it, set it on a builder and read it back. */
    private record Setting(String key, Function<String, Object> parse, BiConsumer<Builder, Object> set,
                           Function<NoetherConfig, Object> get) {
        /** The value in its type; a value that does not parse gets a message naming the key. */
        Object parseValue(String raw) {
            try {
                return parse.apply(raw.trim());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + " " + e.getMessage(), e);
            }
        }
    }

    private static final List<Setting> SETTINGS = List.of(
            new Setting("analysisEvery", v -> parseInt(v), (b, v) -> b.analysisEvery((Integer) v), NoetherConfig::analysisEvery),
            new Setting("observeEvery", NoetherConfig::parseStride, (b, v) -> b.observeEvery((Integer) v),
                    c -> c.observeEvery == AUTO ? "auto" : c.observeEvery),
            new Setting("overheadBudget", v -> parseDouble(v), (b, v) -> b.overheadBudget((Double) v),
                    NoetherConfig::overheadBudget),
            new Setting("minAnalysisInterval", NoetherConfig::parseDuration, (b, v) -> b.minAnalysisInterval((Duration) v),
                    NoetherConfig::minAnalysisInterval),
            new Setting("maxAnalysisShare", v -> parseDouble(v), (b, v) -> b.maxAnalysisShare((Double) v), NoetherConfig::maxAnalysisShare),
            new Setting("maxProbeTime", NoetherConfig::parseDuration, (b, v) -> b.maxProbeTime((Duration) v),
                    NoetherConfig::maxProbeTime),
            new Setting("alignmentThreshold", v -> parseDouble(v), (b, v) -> b.alignmentThreshold((Double) v),
                    NoetherConfig::alignmentThreshold),
            new Setting("alignmentHysteresis", v -> parseDouble(v), (b, v) -> b.alignmentHysteresis((Double) v),
                    NoetherConfig::alignmentHysteresis),
            new Setting("deadAbsolute", v -> parseDouble(v), (b, v) -> b.deadAbsolute((Double) v), NoetherConfig::deadAbsolute),
            new Setting("deadRelative", v -> parseDouble(v), (b, v) -> b.deadRelative((Double) v), NoetherConfig::deadRelative),
            new Setting("distinctCosine", v -> parseDouble(v), (b, v) -> b.distinctCosine((Double) v), NoetherConfig::distinctCosine),
            new Setting("blockCorrelation", v -> parseDouble(v), (b, v) -> b.blockCorrelation((Double) v),
                    NoetherConfig::blockCorrelation),
            new Setting("exactDimensionLimit", v -> parseInt(v), (b, v) -> b.exactDimensionLimit((Integer) v),
                    NoetherConfig::exactDimensionLimit),
            new Setting("seed", v -> parseLong(v), (b, v) -> b.seed((Long) v), NoetherConfig::seed),
            new Setting("sketchRank", v -> parseInt(v), (b, v) -> b.sketchRank((Integer) v), NoetherConfig::sketchRank),
            new Setting("linearAlgebra", LinearAlgebra.Backend::parse, (b, v) -> b.linearAlgebra((LinearAlgebra.Backend) v),
                    NoetherConfig::linearAlgebra));

    /** The agent's original short names, kept as documented aliases. */
    private static final Map<String, String> ALIASES = Map.of("every", "analysisEvery", "observe", "observeEvery",
            "interval", "minAnalysisInterval", "share", "maxAnalysisShare");

    /** The names of the settings, in the order of the builder: the builder's method names. */
    public static List<String> keys() {
        return SETTINGS.stream().map(Setting::key).toList();
    }

    /** The short aliases of some settings ({@code every} → {@code analysisEvery}, ...). */
    public static Map<String, String> aliases() {
        return ALIASES;
    }

    /** True when {@code key} names a setting, by its name or an alias. */
    public static boolean isKey(String key) {
        return setting(key) != null;
    }

    /** The system property of a setting: {@code noether.analysisEvery}. */
    public static String propertyName(String key) {
        return "noether." + key;
    }

    /** The environment variable of a setting: {@code NOETHER_ANALYSIS_EVERY} (aliases: {@code NOETHER_EVERY}). */
    public static String environmentName(String key) {
        return "NOETHER_" + key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    /**
     * The defaults overridden by {@code key=value,...} (keys as in {@link #keys()} or their aliases).
     *
     * @throws IllegalArgumentException naming each bad key or value
     */
    public static NoetherConfig parse(String keyValues) {
        return resolve(defaults(), "setting", keyValues, Map.of(), Map.of());
    }

    /**
     * The defaults overridden by {@code settings} (keys as in {@link #keys()} or their aliases).
     *
     * @throws IllegalArgumentException naming each bad key or value
     */
    public static NoetherConfig fromMap(Map<String, String> settings) {
        return resolve(defaults(), "setting", settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",")), Map.of(), Map.of());
    }

    /**
     * The settings of a deployment: for each setting the first source that sets it, in the order
     * {@code argument} ({@code key=value,...}), system property {@code noether.<key>}, environment variable
     * {@code NOETHER_<KEY>}, then {@code base}. Only the winning value is checked. System properties and
     * variables with other names are left alone; an unknown key in the argument is an error.
     *
     * @param argumentName what the argument's items are called in messages ("agent option", "--noether")
     * @throws IllegalArgumentException whose message names every bad key or value and its source, "; "-separated
     */
    public static NoetherConfig resolve(NoetherConfig base, String argumentName, String argument,
                                        Map<String, String> systemProperties, Map<String, String> environment) {
        List<String> problems = new ArrayList<>();
        Map<Setting, String[]> fromArgument = new LinkedHashMap<>(); // setting → {raw, source}
        if (argument != null) {
            for (String item : argument.split(",")) {
                if (item.isBlank()) {
                    continue;
                }
                int eq = item.indexOf('=');
                String key = (eq < 0 ? item : item.substring(0, eq)).trim();
                Setting setting = setting(key);
                if (eq < 0) {
                    problems.add(argumentName + " '" + item.trim() + "' has no value (write key=value)");
                } else if (setting == null) {
                    problems.add(argumentName + " '" + item.trim() + "' is unknown (known: " + String.join(", ", keys())
                            + "; aliases: " + String.join(", ", new java.util.TreeSet<>(ALIASES.keySet())) + ")");
                } else if (fromArgument.containsKey(setting)) {
                    problems.add(argumentName + " '" + key + "' is given twice");
                } else {
                    String raw = item.substring(eq + 1);
                    fromArgument.put(setting, new String[] {raw, argumentName + " '" + key + "=" + raw + "'"});
                }
            }
        }
        Builder b = base.toBuilder();
        for (Setting setting : SETTINGS) {
            String[] chosen = fromArgument.get(setting);
            if (chosen == null) {
                chosen = fromNamedSource(setting, systemProperties, NoetherConfig::propertyName, "system property ", problems);
            }
            if (chosen == null) {
                chosen = fromNamedSource(setting, environment, NoetherConfig::environmentName, "environment variable ", problems);
            }
            if (chosen != null) {
                try {
                    setting.set().accept(b, setting.parseValue(chosen[0]));
                } catch (IllegalArgumentException e) {
                    problems.add(chosen[1] + ": " + e.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return b.build();
    }

    private static String[] fromNamedSource(Setting setting, Map<String, String> source, Function<String, String> nameOf,
                                            String what, List<String> problems) {
        List<String> names = new ArrayList<>();
        names.add(nameOf.apply(setting.key()));
        ALIASES.forEach((alias, key) -> {
            if (key.equals(setting.key())) {
                names.add(nameOf.apply(alias));
            }
        });
        String[] found = null;
        for (String name : names) {
            if (source.containsKey(name)) {
                if (found != null) {
                    problems.add(what + name + " and " + found[2] + " both set " + setting.key());
                    continue;
                }
                String raw = source.get(name);
                found = new String[] {raw, what + name + "='" + raw + "'", name};
            }
        }
        return found;
    }

    private static Setting setting(String key) {
        String canonical = ALIASES.getOrDefault(key, key);
        for (Setting s : SETTINGS) {
            if (s.key().equals(canonical)) {
                return s;
            }
        }
        return null;
    }

    /** A stride: a whole number, or {@code auto} for {@link #AUTO}. */
    private static int parseStride(String v) {
        return v.equalsIgnoreCase("auto") ? AUTO : parseInt(v);
    }

    private static int parseInt(String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number, got '" + v + "'");
        }
    }

    private static long parseLong(String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number, got '" + v + "'");
        }
    }

    private static double parseDouble(String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a number, got '" + v + "'");
        }
    }

    /** {@code 2s}, {@code 500ms}, {@code 250us}, {@code 100ns}, {@code 1m}, {@code 1h}, {@code PT2S}, or plain seconds. */
    static Duration parseDuration(String v) {
        String bad = "must be a duration (2s, 500ms, 1m, PT2S or a number of seconds), got '" + v + "'";
        try {
            if (v.startsWith("P") || v.startsWith("p") || v.startsWith("-P")) {
                return Duration.parse(v);
            }
            String number = v;
            double nanosPerUnit = 1e9;
            for (String[] unit : new String[][] {{"ns", "1"}, {"us", "1e3"}, {"ms", "1e6"}, {"s", "1e9"}, {"m", "6e10"}, {"h", "3.6e12"}}) {
                if (v.endsWith(unit[0]) && !(unit[0].equals("s") && (v.endsWith("ns") || v.endsWith("us") || v.endsWith("ms")))) {
                    number = v.substring(0, v.length() - unit[0].length()).trim();
                    nanosPerUnit = Double.parseDouble(unit[1]);
                    break;
                }
            }
            double nanos = Double.parseDouble(number) * nanosPerUnit;
            if (!Double.isFinite(nanos) || Math.abs(nanos) > Long.MAX_VALUE) {
                throw new IllegalArgumentException(bad);
            }
            return Duration.ofNanos(Math.round(nanos));
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException(bad);
        }
    }

    /** The settings as {@code key=value,...}, in the form {@link #parse} reads. */
    @Override
    public String toString() {
        return SETTINGS.stream().map(s -> s.key() + "=" + s.get().apply(this)).collect(Collectors.joining(","));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NoetherConfig other)) {
            return false;
        }
        for (Setting s : SETTINGS) {
            if (!s.get().apply(this).equals(s.get().apply(other))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /**
     * Test vectors of the Nyström sketches of layers wider than {@link #exactDimensionLimit()} (default 256;
     * at least the probe batch size plus 8 is used, so that probe moments are sketched exactly).
     */
    public int sketchRank() {
        return sketchRank;
    }

    /**
     * Linear algebra of the heavy analysis: {@code AUTO} (default) takes native OpenBLAS/LAPACKE when
     * {@code org.bytedeco:openblas} is on the class path, else EJML; the system property
     * {@code noether.linalg} decides what {@code AUTO} means process-wide.
     */
    public LinearAlgebra.Backend linearAlgebra() {
        return linearAlgebra;
    }

    /** Builds a {@link NoetherConfig}. */
    public static final class Builder {
        private int analysisEvery = 50;
        private int observeEvery = AUTO;
        private double overheadBudget = 0.02;
        private Duration minAnalysisInterval = Duration.ofSeconds(2);
        private double maxAnalysisShare = 0.25;
        private Duration maxProbeTime = Duration.ofMillis(200);
        private double alignmentThreshold = 0.7;
        private double alignmentHysteresis = 0.05;
        private double deadAbsolute = 1e-6;
        private double deadRelative = 1e-3;
        private double distinctCosine = 0.99;
        private double blockCorrelation = 0.9;
        private int exactDimensionLimit = 1024;
        private int sketchRank = 256;
        private long seed = 20240217L;
        private LinearAlgebra.Backend linearAlgebra = LinearAlgebra.Backend.AUTO;

        private Builder() {}

        public Builder analysisEvery(int steps) {
            if (steps < 1) {
                throw new IllegalArgumentException("analysisEvery must be at least 1 step, got " + steps);
            }
            this.analysisEvery = steps;
            return this;
        }

        /** A fixed stride K ≥ 1 (1: every step), or {@link NoetherConfig#AUTO} to let the overhead budget decide. */
        public Builder observeEvery(int steps) {
            if (steps < 0) {
                throw new IllegalArgumentException("observeEvery must be at least 1 step (or auto), got " + steps);
            }
            this.observeEvery = steps;
            return this;
        }

        public Builder overheadBudget(double share) {
            if (!(share > 0 && share <= 1)) {
                throw new IllegalArgumentException("overheadBudget must be in (0, 1], got " + share);
            }
            this.overheadBudget = share;
            return this;
        }

        public Builder minAnalysisInterval(Duration interval) {
            Objects.requireNonNull(interval, "minAnalysisInterval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("minAnalysisInterval must not be negative, got " + interval);
            }
            this.minAnalysisInterval = interval;
            return this;
        }

        public Builder maxAnalysisShare(double share) {
            if (!(share > 0 && share <= 1)) {
                throw new IllegalArgumentException("maxAnalysisShare must be in (0, 1], got " + share);
            }
            this.maxAnalysisShare = share;
            return this;
        }

        public Builder maxProbeTime(Duration time) {
            Objects.requireNonNull(time, "maxProbeTime");
            if (time.isNegative()) {
                throw new IllegalArgumentException("maxProbeTime must not be negative, got " + time);
            }
            this.maxProbeTime = time;
            return this;
        }

        public Builder alignmentThreshold(double tau) {
            this.alignmentThreshold = inRange("alignmentThreshold", tau, -1, 1);
            return this;
        }

        public Builder alignmentHysteresis(double margin) {
            this.alignmentHysteresis = inRange("alignmentHysteresis", margin, 0, 1);
            return this;
        }

        public Builder deadAbsolute(double tolerance) {
            this.deadAbsolute = inRange("deadAbsolute", tolerance, 0, Double.MAX_VALUE);
            return this;
        }

        public Builder deadRelative(double fraction) {
            this.deadRelative = inRange("deadRelative", fraction, 0, 1);
            return this;
        }

        public Builder distinctCosine(double cosine) {
            this.distinctCosine = inRange("distinctCosine", cosine, -1, 1);
            return this;
        }

        public Builder blockCorrelation(double r) {
            this.blockCorrelation = inRange("blockCorrelation", r, 0, 1);
            return this;
        }

        public Builder exactDimensionLimit(int width) {
            if (width < 2) {
                throw new IllegalArgumentException("exactDimensionLimit must be at least 2, got " + width);
            }
            this.exactDimensionLimit = width;
            return this;
        }

        public Builder sketchRank(int vectors) {
            if (vectors < 1) {
                throw new IllegalArgumentException("sketchRank must be at least 1, got " + vectors);
            }
            this.sketchRank = vectors;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the setting {@code key} (a builder method name or an alias) from its text form.
         *
         * @throws IllegalArgumentException naming the key when it is unknown or the value is bad
         */
        public Builder set(String key, String value) {
            Setting setting = setting(Objects.requireNonNull(key, "key"));
            if (setting == null) {
                throw new IllegalArgumentException("unknown Noether setting '" + key + "' (known: " + String.join(", ", keys()) + ")");
            }
            try {
                setting.set().accept(this, setting.parseValue(Objects.requireNonNull(value, "value")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Noether setting '" + key + "=" + value + "': " + e.getMessage(), e);
            }
            return this;
        }

        /**
         * Forces the heavy analysis onto native LAPACK or EJML (see {@link NoetherConfig#linearAlgebra()}).
         *
         * @throws IllegalArgumentException for {@code NATIVE} when the library is absent or does not load
         */
        public Builder linearAlgebra(LinearAlgebra.Backend backend) {
            Objects.requireNonNull(backend, "linearAlgebra");
            try {
                LinearAlgebra.of(backend); // fail at start-up, not in the analysis
            } catch (IllegalStateException e) {
                // a bad setting, reported like every other one (the agent and NoetherConfig.resolve name the key)
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            this.linearAlgebra = backend;
            return this;
        }

        public NoetherConfig build() {
            return new NoetherConfig(this);
        }

        private static double inRange(String name, double v, double lo, double hi) {
            if (!(v >= lo && v <= hi)) {
                throw new IllegalArgumentException(name + " must be in [" + lo + ", " + hi + "], got " + v);
            }
            return v;
        }
    }
}
