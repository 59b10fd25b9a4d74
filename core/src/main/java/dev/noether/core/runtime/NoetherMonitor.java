package dev.noether.core.runtime;

import dev.noether.core.model.LayerProbe;
import dev.noether.core.model.NetworkDescription;
import dev.noether.core.model.LayerReductions;
import dev.noether.core.model.LayerSnapshot;
import dev.noether.core.model.OptimizerSettings;
import dev.noether.core.model.StepSnapshot;
import dev.noether.core.probe.ProbeAllowance;
import dev.noether.core.probe.ProbeGap;
import dev.noether.core.probe.ProbePlan;
import dev.noether.core.probe.ProbeResult;
import dev.noether.core.probe.ProbeThroughput;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Watches one model learn. Adapters call {@link #onStep} on the training thread after every backward pass
 * (there only the copy of the step; its O(parameters) sums run on the monitor's step thread, in step order),
 * and {@link #analyze} to offer a probe batch for the heavy analysis, which runs on one background thread.
 * Every read ({@link #latestStep}, {@link #value}, the counts) first waits for the steps already handed over,
 * so a caller sees the reports of every step it has trained. Nothing here ever throws into the training loop:
 * bad input is counted ({@code noether.nonfinite}, {@code noether.errors}) and logged at a limited rate.
 *
 * <pre>{@code
 * NoetherMonitor monitor = NoetherMonitor.builder(description).engine("DJL/PyTorch").build();
 * new NoetherMetrics(monitor).bindTo(registry);
 * // in the training loop, after backward, before the optimizer update:
 * monitor.onStep(snapshot);
 * monitor.analyze(step, () -> probesComputedOnTheEngine());
 * }</pre>
 */
public final class NoetherMonitor implements AutoCloseable {
    /** How long the adapters let {@link #finish} take at training end (METRICS.md §6: "say ≤ 10 s"). */
    public static final Duration FINAL_ANALYSIS_TIMEOUT = Duration.ofSeconds(10);
    /** The longest a read waits for the steps already handed over to the step thread. */
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** The longest the training thread waits for the step thread before it drops a step (a stuck report listener). */
    private static final long STEP_ROOM_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Computes probe-batch moments on the training thread, only when an analysis is due. */
    @FunctionalInterface
    public interface ProbeSource {
        List<LayerProbe> compute() throws Exception;
    }

    /**
     * Computes probe-batch moments on the training thread, only when an analysis is due, within the time the
     * monitor allows: the adapters' probes. It plans its pass from the layer shapes with
     * {@link ProbeAllowance#plan} (fewer positions or samples, or none), stops once the allowance is
     * {@link ProbeAllowance#exhausted() exhausted}, and names the parts of the network it left out.
     */
    @FunctionalInterface
    public interface BoundedProbeSource {
        ProbeResult compute(ProbeAllowance allowance) throws Exception;
    }

    /** The heavy tier, replaceable in tests. */
    @FunctionalInterface
    interface Analysis {
        NoetherReport analyze(StepSnapshot weights, List<LayerProbe> probes, Instant now);
    }

    private final NetworkDescription description;
    private final NoetherConfig config;
    private final String engine;
    private final Clock clock;
    private final Ticker ticker;
    private final StepTier stepTier;
    private final StepDetails stepDetails;
    private final Analysis analysis;
    private final HeavyAnalysis heavy; // null when a test replaced the analysis
    private final AnalysisHandOff handOff;
    private final StepPipeline stepThread;
    /** The last observed snapshot, still read by the step tier (‖ΔW‖²); released when the next one is observed. Step thread only. */
    private StepSnapshot heldByStepTier;
    private final RateLimitedLog log;
    private final List<NoetherReportListener> listeners = new CopyOnWriteArrayList<>();
    private final List<TierTimeListener> tierTimeListeners = new CopyOnWriteArrayList<>();

    private volatile NoetherReport latestStep;
    private volatile NoetherReport latestAnalysis;
    private volatile StepSnapshot latestSnapshot;
    private volatile String optimizerName = "unknown";
    /** The optimizers a line was written about (kind, name, identity break); training thread only. */
    private final Set<String> optimizerNotes = new HashSet<>();
    private volatile long lastStepMillis = Long.MIN_VALUE;

    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong observedSteps = new AtomicLong();
    private final AtomicLong analyses = new AtomicLong();
    private final AtomicLong droppedSteps = new AtomicLong();
    private final AtomicLongArray skipped = new AtomicLongArray(SkipReason.values().length);
    private final AtomicLongArray errors = new AtomicLongArray(Stage.values().length);
    private final AtomicLongArray nonFinite;
    private final TierClock[] tierTimes = new TierClock[Tier.values().length];
    /** The multiply-adds per second of this model's probe passes, calibrating the next plan. */
    private final ProbeThroughput probeThroughput = new ProbeThroughput();
    /** The step whose final-state record {@link #finish} published; a later observation of it adds no second record. */
    private volatile long finalStep = Long.MIN_VALUE;
    private final AtomicLong supersededRecords = new AtomicLong();
    private final OverheadGovernor governor;
    private final BusyClock stepThreadBusy = new BusyClock();
    private final BusyClock analysisThreadBusy = new BusyClock();

    private long nextAnalysisStep = Long.MIN_VALUE;
    private long lastAnalysisNanos = Long.MIN_VALUE;
    /** The step whose weights a due analysis will read: the governor observes it whatever its schedule. */
    private volatile long analysisDueStep = Long.MIN_VALUE;
    /** False once an admitted analysis was not offered at its step; true again at the next {@link #analyze} call. */
    private boolean analysisOffered = true;
    /** A step whose loss the adapter found non-finite: observed whatever the schedule, so its layers are named. */
    private long nonFiniteLossStep = Long.MIN_VALUE;
    /** Set by the analysis thread: no new analysis before this, to keep its CPU share (see maxAnalysisShare). */
    private volatile long quietUntilNanos = Long.MIN_VALUE;

    private NoetherMonitor(Builder b) {
        this.description = b.description;
        this.config = b.config;
        this.engine = b.engine;
        this.clock = b.clock;
        this.ticker = b.ticker;
        this.log = new RateLimitedLog(TimeUnit.MINUTES.toNanos(1), ticker);
        this.stepTier = new StepTier(description, config.analysisEvery());
        this.governor = new OverheadGovernor(config);
        this.stepDetails = new StepDetails(description, config, ticker, e -> recordError(Stage.STEP, e));
        this.heavy = b.analysis != null ? null
                : new HeavyAnalysis(description, config, this::countNonFinite, this::neuronCharges);
        this.analysis = b.analysis != null ? b.analysis : heavy::analyze;
        this.handOff = new AnalysisHandOff("noether-analysis-" + description.model());
        // one step may wait while one is summed: the memory of three host copies at most (with the held one)
        this.stepThread = new StepPipeline("noether-steps-" + description.model(), 1);
        this.nonFinite = new AtomicLongArray(description.layers().size());
        for (Tier tier : Tier.values()) {
            tierTimes[tier.ordinal()] = new TierClock();
        }
        if (!description.unsupported().isEmpty()) {
            RateLimitedLog.info("Noether skips unsupported layers of '" + description.model() + "': "
                    + description.unsupported());
        }
    }

    /** Starts a monitor for the described network. */
    public static Builder builder(NetworkDescription description) {
        return new Builder(description);
    }

    public NetworkDescription description() {
        return description;
    }

    public NoetherConfig config() {
        return config;
    }

    /** The engine named by the adapter, for {@code noether.info}. */
    public String engine() {
        return engine;
    }

    /** The kind of the optimizer of the last observed step ({@code sgd}, {@code momentum}, ...), for {@code noether.info}. */
    public String optimizer() {
        return optimizerName;
    }

    /** Captures a step's snapshot from the engine; called by {@link #onStep(StepSource)} on the caller's thread. */
    @FunctionalInterface
    public interface StepSource {
        StepSnapshot capture() throws Exception;
    }

    /**
     * The every-step tier: θ(t) and ĝ(t) after backward, before the update. The sums run on the monitor's step
     * thread; the caller's thread only hands the snapshot over. Never throws.
     */
    public void onStep(StepSnapshot snapshot) {
        onStep(snapshot == null ? -1 : snapshot.step(), () -> snapshot);
    }

    /**
     * Like {@link #onStep(StepSnapshot)}, for adapters: call it at the same point of every step. The overhead
     * governor decides whether the step tier observes this step (runs of consecutive steps, as often as
     * {@link NoetherConfig#overheadBudget()} allows, or the fixed {@link NoetherConfig#observeEvery()} stride);
     * {@code source} (the copy from the engine) is called only on observed steps, timed as the monitor's own cost,
     * with its failures counted as {@link Stage#ADAPTER}. The copy is handed to the step thread; while that thread
     * still sums the step before, the caller first waits for it (as long as those sums take, since one step may
     * wait). Only when it stays busy for a second (a report listener that blocks) is the step dropped, uncopied,
     * and counted in {@code noether.steps.dropped}; the pairs' charge continuity then restarts at the next
     * observed step.
     */
    public void onStep(long step, StepSource source) {
        long start = ticker.read();
        steps.incrementAndGet();
        lastStepMillis = clock.millis();
        if (analysisDueStep != Long.MIN_VALUE && analysisDueStep < step) {
            // the analysis admitted for an earlier step was never offered: this caller does not call analyze on
            // every step, so no more steps are observed for it until it does
            analysisDueStep = Long.MIN_VALUE;
            analysisOffered = false;
        }
        boolean forAnalysis = analysisDue(step, start);
        OverheadGovernor.Decision decision;
        try {
            // under the budget a due analysis has its step observed; a fixed stride waits for its next observed step
            decision = governor.beginStep(step, start, stepThreadBusy.busy(start), analysisThreadBusy.busy(start),
                    forAnalysis && analysisOffered && config.observesByBudget() || step == nonFiniteLossStep);
        } catch (Throwable e) {
            recordError(Stage.STEP, e);
            return;
        }
        if (!decision.observed()) {
            return;
        }
        if (forAnalysis) {
            analysisDueStep = step; // before the capture, which asks wantsWeights
        }
        // a step observed only for its analysis is paid like the analysis
        OverheadGovernor.Purse purse = decision == OverheadGovernor.Decision.FORCED && forAnalysis
                ? OverheadGovernor.Purse.ANALYSES : OverheadGovernor.Purse.STEPS;
        observedSteps.incrementAndGet();
        try {
            if (!stepThread.awaitRoom(STEP_ROOM_NANOS)) {
                droppedSteps.incrementAndGet();
                return;
            }
            StepSnapshot snapshot;
            try {
                snapshot = Objects.requireNonNull(source.capture(), "snapshot");
            } catch (Throwable e) {
                recordError(Stage.ADAPTER, e);
                return;
            }
            learnOptimizer(snapshot.optimizer());
            // only a snapshot whose arrays nobody recycles may go to the heavy analysis, which reads it for seconds
            latestSnapshot = snapshot.isRecycled() ? null : snapshot;
            if (!stepThread.offer(() -> observe(snapshot))) {
                droppedSteps.incrementAndGet();
                snapshot.release();
            }
        } catch (Throwable e) {
            recordError(Stage.STEP, e);
        } finally {
            long spent = ticker.read() - start;
            recordTierTime(Tier.STEP, spent);
            governor.spend(purse, spent);
        }
    }

    /**
     * Takes the optimizer of an observed step: its kind for {@code noether.info}, three consecutive steps per run when
     * its prediction needs the update before (heavy ball, Nesterov: METRICS.md §6, §11), and one line (and for an
     * optimizer the adapter could not identify, one count in {@code noether.errors{stage="adapter"}}) the first time
     * an optimizer is not modelled or breaks the pair identity. The bare {@link OptimizerSettings#unknown()} is the
     * adapter's to explain (it counts why it could not read one), or simply a loop that names none.
     */
    private void learnOptimizer(OptimizerSettings o) {
        String kind = o.kind().tag();
        if (!kind.equals(optimizerName)) {
            optimizerName = kind;
            governor.runLength(o.kind().needsPreviousUpdate() ? 3 : 2);
        }
        if (o.kind() != OptimizerSettings.Kind.UNKNOWN && o.kind() != OptimizerSettings.Kind.OTHER && o.keepsIdentity()
                || !optimizerNotes.add(o.kind() + " " + o.name() + " " + o.identityBreak())) {
            return;
        }
        String model = description.model();
        if (o.kind() == OptimizerSettings.Kind.UNKNOWN && !o.name().equals(kind)) {
            errors.incrementAndGet(Stage.ADAPTER.ordinal());
            log.warn("optimizer:" + o.name(), "Noether does not know the optimizer " + o.name() + " of '" + model
                    + "': charge.drift.rate.predicted and charge.residual stay absent, charge.drift.rate.part counts "
                    + "any decoupled decay as optimizer (counted in noether_errors_total{stage=\"adapter\"}; pass "
                    + "optimizer(OptimizerSettings) to the listener's builder to state it)", null);
        } else if (o.kind() == OptimizerSettings.Kind.OTHER) {
            RateLimitedLog.info("Noether does not model the optimizer " + o.name() + " of '" + model
                    + "': charge.drift.rate.predicted and charge.residual stay absent; charge.drift.rate.part is exported");
        } else if (!o.keepsIdentity()) {
            RateLimitedLog.info("The optimizer of '" + model + "' breaks the pair identity (" + o.identityBreak()
                    + "): charge.drift.rate.predicted and charge.residual stay absent; the break shows in "
                    + "charge.drift.rate.part{part=\"optimizer\"}");
        }
    }

    /**
     * The step's loss, where the adapter has it at no cost (DL4J's score): call it before {@link #onStep(long,
     * StepSource)} for the same step. A non-finite loss makes the step tier observe that step whatever the budget,
     * so that a NaN between two scheduled observations is still counted, by layer. Never throws.
     */
    public void onLoss(long step, double loss) {
        if (!Double.isFinite(loss)) {
            nonFiniteLossStep = step;
        }
    }

    /** The step tier's sums of one snapshot and its report; on the step thread. */
    private void observe(StepSnapshot snapshot) {
        observe(snapshot, true);
    }

    /**
     * The step tier's sums of one snapshot, published to the meters; sent to the report listeners when
     * {@code notify}, except for a step whose final-state record {@link #finish} already sent (training resumed
     * at the state it described: one record per step, that one; counted in {@link #supersededRecords()}).
     * Returns the report, null when it failed.
     */
    private NoetherReport observe(StepSnapshot snapshot, boolean notify) {
        long start = ticker.read();
        stepThreadBusy.begin(start);
        try {
            NoetherReport report = stepDetails.attach(stepTier.observe(snapshot, clock.instant(), this::countNonFinite),
                    snapshot, heldByStepTier, stepTier::neuronCharges); // histograms: on this thread, as scheduled
            ScrapeConsistency.publish(() -> latestStep = report);
            logNonFinite(report);
            if (notify && snapshot.step() == finalStep) {
                supersededRecords.incrementAndGet();
            } else if (notify) {
                notifyListeners(report);
            }
            return report;
        } catch (Throwable e) {
            recordError(Stage.STEP, e);
            return null;
        } finally {
            // the step tier now holds this snapshot's W as "the step before", not the older one's
            StepSnapshot older = heldByStepTier;
            heldByStepTier = snapshot;
            if (older != null && older != snapshot) {
                older.release();
            }
            long end = ticker.read();
            stepThreadBusy.end(end);
            recordTierTime(Tier.STEP_BACKGROUND, end - start);
        }
    }

    /**
     * Waits (briefly) until the step thread has observed every step handed over, so reads see them; not inside a
     * consistent scrape, which reads what is published (the step thread's publication waits for the scrape).
     */
    private void settle() {
        if (!ScrapeConsistency.insideRead()) {
            stepThread.awaitIdle(SETTLE_NANOS);
        }
    }

    /**
     * Waits until every step handed over so far has been observed and its report published (at most
     * {@code timeout}); true when it was. The readers of this class do it themselves; this is for code that
     * reads reports through its own {@link NoetherReportListener} right after training steps.
     */
    public boolean awaitSteps(Duration timeout) {
        return stepThread.awaitIdle(Math.max(0, timeout.toNanos()));
    }

    /**
     * Observations that sent no step record because {@link #finish} had already sent the final-state record of
     * the same step (training resumed at that state, e.g. the next DL4J epoch): their values reached the meters.
     */
    public long supersededRecords() {
        settle();
        return supersededRecords.get();
    }

    /** Steps the every-step tier dropped because its thread stayed busy for a second ({@code noether.steps.dropped}). */
    public long droppedSteps() {
        return droppedSteps.get();
    }

    /**
     * Offers a heavy analysis at {@code step}. One is due every {@link NoetherConfig#analysisEvery()} steps; it
     * runs when no sooner than {@link NoetherConfig#minAnalysisInterval()} after the last and late enough that the
     * analysis thread stays within {@link NoetherConfig#maxAnalysisShare()} of the wall time (else skipped as
     * "rate_limited"), when the analyses' half of the overhead budget is not in debt (else "budget") and when the
     * analysis thread is free (else "busy"): then {@code probes} is called here on the training thread (the
     * engine work), and the O(d³) analysis of this step's weights (which the step tier observed because the
     * analysis was due) is handed to the background thread. A due analysis is skipped and counted, never queued.
     * Never throws.
     *
     * @return true when an analysis was handed off
     */
    public boolean analyze(long step, ProbeSource probes) {
        return analyzeWithin(step, unplanned(probes));
    }

    /**
     * Like {@link #analyze(long, ProbeSource)} for a probe that plans its pass within the time it is allowed:
     * {@link NoetherConfig#maxProbeTime()} at the throughput measured on this model's earlier passes. A pass
     * that does not fit even with the fewest samples is skipped and counted ({@code probe_cost}); the parts of
     * the network a pass leaves out are counted ({@code probe_part}) and named once in the log. The analysis
     * record carries the plan and those parts (details {@code probe}).
     */
    public boolean analyzeWithin(long step, BoundedProbeSource probes) {
        long start = ticker.read();
        boolean reserved = false;
        analysisOffered = true;
        try {
            if (step < nextAnalysisStep) {
                return false;
            }
            if (analysisDueStep != step) {
                // not admitted when the step began: count why, or (it became possible since) admit the next step
                SkipReason skip = analysisBlocked(start);
                if (skip != null) {
                    nextAnalysisStep = step + config.analysisEvery();
                    skipped.incrementAndGet(skip.ordinal());
                }
                return false;
            }
            StepSnapshot weights = latestSnapshot;
            // analyse only a step the step tier observed, so weights and probes belong together
            if (weights == null || weights.step() != step || !hasWeights(weights) || !handOff.tryReserve()) {
                analysisDueStep = Long.MIN_VALUE; // offered without weights: still due, at the next step
                return false;
            }
            reserved = true;
            nextAnalysisStep = step + config.analysisEvery();
            analysisDueStep = Long.MIN_VALUE;
            lastAnalysisNanos = start;
            Probed moments = computeProbes(probes,
                    ProbeAllowance.startingNow(config.maxProbeTime(), probeThroughput.estimate()));
            handOff.run(() -> runAnalysis(weights, moments));
            reserved = false;
            analyses.incrementAndGet();
            return true;
        } catch (Throwable e) {
            recordError(Stage.ANALYSIS, e);
            return false;
        } finally {
            if (reserved) {
                handOff.release();
            }
            governor.spend(OverheadGovernor.Purse.ANALYSES, ticker.read() - start);
        }
    }

    /** True when an analysis offered at {@code step} would run now: the schedule, the floors, the budget, the thread. */
    private boolean analysisDue(long step, long now) {
        return step >= nextAnalysisStep && analysisBlocked(now) == null;
    }

    /** Why an analysis due by its step count cannot run at {@code now}, or null when it can. */
    private SkipReason analysisBlocked(long now) {
        if (lastAnalysisNanos != Long.MIN_VALUE
                && (now - lastAnalysisNanos < config.minAnalysisInterval().toNanos()
                || (quietUntilNanos != Long.MIN_VALUE && now - quietUntilNanos < 0))) {
            return SkipReason.RATE_LIMITED;
        }
        if (handOff.isBusy()) {
            return SkipReason.BUSY;
        }
        if (!governor.analysesHaveRoom()) {
            return SkipReason.BUDGET;
        }
        return null;
    }

    /**
     * The end of training (METRICS.md §6): one last step-tier observation of the final parameters and one last
     * heavy analysis of them, whatever the schedule, so that short runs and the event log end on the final
     * state. Synchronous but bounded: it waits for a running analysis, computes {@code probes} on the caller's
     * thread and waits for the analysis, all within {@code timeout}; past it, the final analysis is skipped and
     * counted ({@code noether.analysis.skipped{reason="timeout"}}). {@code step} is the number of updates applied
     * (the final state follows the last one); gradients in the captured snapshot are dropped, since the last
     * backward pass belongs to the state before the last update. Call it once, before {@link #close()}; never
     * throws.
     *
     * @return true when the final analysis was published within {@code timeout}
     */
    public boolean finish(long step, StepSource source, ProbeSource probes, Duration timeout) {
        return finishWithin(step, source, unplanned(probes), timeout);
    }

    /**
     * Like {@link #finish(long, StepSource, ProbeSource, Duration)} with a probe planned within its allowance,
     * so that the whole observation, probe included, stays within {@code timeout}: the probe is planned to take
     * half of what is left when it starts (the other half is the analysis's), and stops at the deadline at the
     * latest. The
     * final state's step record goes to the report listeners last, with what the final observation had time
     * for (details {@code final}: the analysis {@code published}, {@code timeout} or {@code failed}, the probe's
     * plan and the seconds taken), so that the event log ends on it; a later observation of the same step
     * (training resumed, e.g. the next DL4J epoch) sends no second record.
     */
    public boolean finishWithin(long step, StepSource source, BoundedProbeSource probes, Duration timeout) {
        long start = ticker.read();
        long deadline = start + Math.max(0, timeout.toNanos());
        boolean reserved = false;
        NoetherReport stepReport = null;
        Map<String, Object> outcome = new LinkedHashMap<>();
        String analysisOutcome = "timeout";
        try {
            if (steps.get() == 0) {
                return false; // nothing trained, nothing to describe
            }
            StepSnapshot weights;
            try {
                weights = withoutGradients(Objects.requireNonNull(source.capture(), "snapshot"), step);
            } catch (Throwable e) {
                recordError(Stage.ADAPTER, e);
                analysisOutcome = "failed";
                return false;
            }
            // the steps before the final state first, in order; then this one, here, while the step thread is idle
            if (!stepThread.awaitIdle(Math.max(0, deadline - ticker.read()))) {
                skipped.incrementAndGet(SkipReason.TIMEOUT.ordinal());
                return false;
            }
            stepReport = observe(weights, false);
            latestSnapshot = weights;
            while (!handOff.tryReserve()) {
                if (ticker.read() - deadline >= 0) {
                    skipped.incrementAndGet(SkipReason.TIMEOUT.ordinal());
                    return false;
                }
                Thread.sleep(2);
            }
            reserved = true;
            long left = Math.max(0, deadline - ticker.read());
            Probed moments = computeProbes(probes, ProbeAllowance.startingNow(Duration.ofNanos(left / 2),
                    probeThroughput.estimate(), Duration.ofNanos(left)));
            if (moments.record() != null) {
                outcome.put("probe", moments.record());
            }
            if (ticker.read() - deadline >= 0) {
                skipped.incrementAndGet(SkipReason.TIMEOUT.ordinal());
                return false;
            }
            CountDownLatch done = new CountDownLatch(1);
            handOff.run(() -> {
                try {
                    runAnalysis(weights, moments);
                } finally {
                    done.countDown();
                }
            });
            reserved = false;
            if (!done.await(Math.max(0, deadline - ticker.read()), TimeUnit.NANOSECONDS)) {
                skipped.incrementAndGet(SkipReason.TIMEOUT.ordinal()); // it may still publish later; close() waits briefly for it
                return false;
            }
            nextAnalysisStep = Math.max(nextAnalysisStep, step + 1); // the periodic analysis does not repeat this state
            analysisOutcome = "published";
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            skipped.incrementAndGet(SkipReason.TIMEOUT.ordinal());
            return false;
        } catch (Throwable e) {
            recordError(Stage.ANALYSIS, e);
            analysisOutcome = "failed";
            return false;
        } finally {
            if (reserved) {
                handOff.release();
            }
            if (stepReport != null) {
                outcome.put("analysis", analysisOutcome);
                outcome.put("seconds", (ticker.read() - start) / 1e9);
                finalStep = step;
                notifyListeners(stepReport.withDetail("final", outcome));
            }
            // a DL4J epoch end trains on afterwards: what the final observation cost is paid like an analysis
            governor.spend(OverheadGovernor.Purse.ANALYSES, ticker.read() - start);
        }
    }

    /** The moments of a probe pass, and its event-log record ({@code plan}, {@code gaps}; null for no probe). */
    private record Probed(List<LayerProbe> layers, Map<String, Object> record) {
        static final Probed NONE = new Probed(List.of(), null);
    }

    private static BoundedProbeSource unplanned(ProbeSource probes) {
        return probes == null ? null : allowance -> ProbeResult.unplanned(probes.compute());
    }

    /**
     * The probe-batch moments on the caller's thread within {@code allowed}, timed as the probe tier; none
     * when absent, failed, or skipped for cost. Counts the skip and the parts left out, names each part once,
     * and calibrates the throughput with the pass's time.
     */
    private Probed computeProbes(BoundedProbeSource probes, ProbeAllowance allowance) {
        if (probes == null) {
            return Probed.NONE;
        }
        Duration allowed = allowance.time();
        long probeStart = ticker.read();
        try {
            ProbeResult result = probes.compute(allowance);
            long nanos = ticker.read() - probeStart;
            ProbePlan plan = result.plan();
            if (plan.skipped()) {
                skipped.incrementAndGet(SkipReason.PROBE_COST.ordinal());
                log.once("probe_cost", "Noether: the probe of '" + description.model() + "' would take about "
                        + Math.round(plan.estimatedNanos() / 1e6) + " ms even with " + ProbeAllowance.MIN_SAMPLES
                        + " samples, more than the " + allowed.toMillis() + " ms it may hold the training thread: "
                        + "its analyses read the weights alone (counted in noether_analysis_skipped_total"
                        + "{reason=\"probe_cost\"}; raise maxProbeTime to allow it)");
            } else if (plan.multiplyAdds() > 0) {
                // a pass stopped for time did less than planned: count it as half done, a conservative guess
                boolean stopped = result.gaps().stream().anyMatch(g -> g.reason().equals(ProbeGap.OUT_OF_TIME));
                probeThroughput.record(stopped ? plan.multiplyAdds() / 2 : plan.multiplyAdds(), nanos);
            }
            List<Map<String, Object>> gaps = new ArrayList<>();
            for (ProbeGap gap : result.gaps()) {
                skipped.incrementAndGet(SkipReason.PROBE_PART.ordinal());
                log.once("gap:" + gap.node(), "Noether: the probe of '" + description.model() + "' leaves out "
                        + gap.node() + ": " + gap.reason() + " (counted in noether_analysis_skipped_total"
                        + "{reason=\"probe_part\"})");
                Map<String, Object> g = new LinkedHashMap<>();
                g.put("node", gap.node());
                g.put("reason", gap.reason());
                gaps.add(g);
            }
            Map<String, Object> record = new LinkedHashMap<>(plan.toRecord());
            record.put("allowed.seconds", allowed.toNanos() / 1e9);
            record.put("seconds", nanos / 1e9);
            if (!gaps.isEmpty()) {
                record.put("gaps", gaps);
            }
            return new Probed(result.layers(), record);
        } catch (Throwable e) {
            recordError(Stage.PROBE, e);
            return Probed.NONE;
        } finally {
            recordTierTime(Tier.PROBE, ticker.read() - probeStart);
        }
    }

    /**
     * Whether the snapshot of {@code step}, captured now (inside the {@link StepSource} of {@link #onStep(long,
     * StepSource)}), should carry full W and b (not only {@link LayerReductions}, and in arrays that are not
     * recycled): true exactly when an analysis is due at this step and nothing stops it, so that {@link #analyze}
     * hands these weights to the analysis. An adapter that reduces on the engine copies W to the heap only then.
     */
    public boolean wantsWeights(long step) {
        return analysisDueStep == step;
    }

    private static boolean hasWeights(StepSnapshot s) {
        for (LayerSnapshot layer : s.layers()) {
            if (!layer.hasWeights()) {
                return false;
            }
        }
        return true;
    }

    // never recycled: the final analysis reads it
    private static StepSnapshot withoutGradients(StepSnapshot s, long step) {
        StepSnapshot.Builder b = StepSnapshot.builder(step).optimizer(s.optimizer());
        if (s.hasLoss()) {
            b.loss(s.loss());
        }
        for (LayerSnapshot layer : s.layers()) {
            b.layer(layer.withoutGradients());
        }
        return b.build();
    }

    private void runAnalysis(StepSnapshot weights, Probed probes) {
        long start = ticker.read();
        analysisThreadBusy.begin(start);
        try {
            settle(); // the per-neuron charges it reads are those of the analysed step

            NoetherReport analysed = analysis.analyze(weights, probes.layers(), clock.instant());
            NoetherReport report = probes.record() == null ? analysed : analysed.withDetail("probe", probes.record());
            ScrapeConsistency.publish(() -> latestAnalysis = report);
            logNonFinite(report);
            notifyListeners(report);
        } catch (Throwable e) {
            recordError(Stage.ANALYSIS, e);
        } finally {
            long end = ticker.read();
            analysisThreadBusy.end(end);
            governor.analysesWarmedUp();
            recordTierTime(Tier.HEAVY, end - start);
            // an analysis of d seconds is followed by d(1/share − 1) seconds without one
            double share = config.maxAnalysisShare();
            quietUntilNanos = end + (long) ((end - start) * (1 / share - 1));
        }
    }

    private void notifyListeners(NoetherReport report) {
        for (NoetherReportListener l : listeners) {
            try {
                l.onReport(report);
            } catch (Throwable e) {
                recordError(Stage.LISTENER, e);
            }
        }
    }

    /**
     * Counts a failure in {@code noether.errors{stage}} and logs it at most once a minute per stage. Adapters
     * use it for their own failures ({@link Stage#ADAPTER} or {@link Stage#PROBE}).
     */
    public void recordError(Stage stage, Throwable error) {
        errors.incrementAndGet(stage.ordinal());
        String tag = stage.tag();
        log.warn(tag, "Noether monitor of '" + description.model() + "': " + tag + " failed: " + error
                + " (counted in noether_errors_total{stage=\"" + tag + "\"}; training continues; the stack trace "
                + "is logged at DEBUG)", error);
    }

    private void recordTierTime(Tier tier, long nanos) {
        tierTimes[tier.ordinal()].add(nanos);
        for (TierTimeListener l : tierTimeListeners) {
            l.onTierTime(tier, nanos);
        }
    }

    private void countNonFinite(int layer) {
        nonFinite.incrementAndGet(layer);
    }

    /** One line per layer (at most once a minute) naming the tensors a report found NaN or infinite. */
    private void logNonFinite(NoetherReport report) {
        if (!(report.details().get(NonFiniteTensors.DETAIL) instanceof Map<?, ?> found)) {
            return;
        }
        found.forEach((what, tensors) -> {
            if ("loss".equals(what)) {
                log.warn("nonfinite:loss", "Noether: the loss of '" + description.model() + "' is " + tensors
                        + " at step " + report.step() + " (named in the event log's nonfinite detail)", null);
            } else {
                log.warn("nonfinite:" + what, "Noether: layer '" + what + "' of '" + description.model() + "' has NaN "
                        + "or infinite " + tensors + " at step " + report.step() + "; it is skipped there (counted in "
                        + "noether_nonfinite_total{layer=\"" + what + "\"})", null);
            }
        });
    }

    /** Adds a listener for every published report (for event logs and web pages). */
    public void addListener(NoetherReportListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Stops sending reports to {@code listener}; does nothing when it was not added. */
    public void removeListener(NoetherReportListener listener) {
        listeners.remove(listener);
    }

    /** Adds a listener for every measured tier duration (for timers: the Micrometer binder uses it). */
    public void addTierTimeListener(TierTimeListener listener) {
        tierTimeListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Stops sending tier durations to {@code listener}; does nothing when it was not added. */
    public void removeTierTimeListener(TierTimeListener listener) {
        tierTimeListeners.remove(listener);
    }

    /** The report of the last step, or null before the first. */
    public NoetherReport latestStep() {
        settle();
        return latestStep;
    }

    /** The report of the last finished heavy analysis, or null before the first. */
    public NoetherReport latestAnalysis() {
        return latestAnalysis;
    }

    /** The latest value of a metric from either tier; see {@link NoetherReport#value}. */
    public OptionalDouble value(String metric, String... tagKeyValues) {
        settle();
        NoetherReport step = latestStep;
        if (step != null) {
            OptionalDouble v = step.value(metric, tagKeyValues);
            if (v.isPresent()) {
                return v;
            }
        }
        NoetherReport heavy = latestAnalysis;
        return heavy == null ? OptionalDouble.empty() : heavy.value(metric, tagKeyValues);
    }

    /** Restarts the charge drift of every pair from the next step (METRICS.md §2, "or last reset"). */
    public void resetDrift() {
        settle(); // between steps: the step thread is idle once the steps handed over are observed
        stepTier.resetDrift();
        if (heavy != null) {
            heavy.resetDrift(); // the rotation pairs' matrix baseline C(t0)
        }
    }

    /** True while a heavy analysis is running. */
    public boolean isAnalysisRunning() {
        return handOff.isBusy();
    }

    /** Training steps seen (observed or not). */
    public long steps() {
        return steps.get();
    }

    /** Wall-clock time of the last step in Unix epoch seconds, NaN before the first. */
    public double lastStepEpochSeconds() {
        long millis = lastStepMillis;
        return millis == Long.MIN_VALUE ? Double.NaN : millis / 1000.0;
    }

    /** Skipped analyses for {@code reason}; the same as {@code stats().skipped(reason)}. */
    public long skipped(SkipReason reason) {
        settle();
        return skipped.get(reason.ordinal());
    }

    /** Failures counted for {@code stage}; the same as {@code stats().errors(stage)}. */
    public long errors(Stage stage) {
        settle();
        return errors.get(stage.ordinal());
    }

    /** Non-finite skips counted for the dense layer at {@code index}. */
    public long nonFinite(int index) {
        settle();
        return nonFinite.get(index);
    }

    /**
     * The monitor's measured cost as a share (0–1) of training wall time over the last five to ten seconds: its
     * time on the training thread plus what its own threads took from training ({@link #interference()} times
     * their busy time); the overhead budget keeps it at or below {@link NoetherConfig#overheadBudget()}. NaN in
     * the first second.
     */
    public double overhead() {
        return governor.overhead();
    }

    /** Share (0–1) of the steps the step tier observed over the last five to ten seconds; NaN before the first step. */
    public double observedFraction() {
        return governor.observedFraction();
    }

    /**
     * κ: the training time one second of the monitor's background work (step sums, heavy analysis) was measured to
     * cost, near 0 with a spare core, near 1 without; 1 until measured.
     */
    public double interference() {
        return governor.interference();
    }

    /** Steps the step tier observed ({@code noether.steps.observed}). */
    public long observedSteps() {
        return observedSteps.get();
    }

    /** An immutable snapshot of the monitor's own counts and timings. */
    public MonitorStats stats() {
        Map<SkipReason, Long> skips = new EnumMap<>(SkipReason.class);
        for (SkipReason r : SkipReason.values()) {
            skips.put(r, skipped(r));
        }
        Map<Stage, Long> failures = new EnumMap<>(Stage.class);
        for (Stage st : Stage.values()) {
            failures.put(st, errors(st));
        }
        List<Long> nonFinites = new ArrayList<>(nonFinite.length());
        for (int i = 0; i < nonFinite.length(); i++) {
            nonFinites.add(nonFinite.get(i));
        }
        Map<Tier, TierTime> times = new EnumMap<>(Tier.class);
        for (Tier t : Tier.values()) {
            times.put(t, tierTimes[t.ordinal()].snapshot());
        }
        return new MonitorStats(steps(), observedSteps(), analyses.get(), skips, failures, nonFinites, times,
                overhead(), observedFraction(), interference(), lastStepEpochSeconds());
    }

    double[][] neuronCharges() {
        settle();
        return stepTier.neuronCharges();
    }

    /** Stops the step thread (after the steps handed over) and the analysis thread (waiting up to 5 s for a running analysis). */
    @Override
    public void close() {
        stepThread.close();
        handOff.close();
    }

    /** Count, total and longest duration of one tier. */
    private static final class TierClock {
        private long count;
        private long total;
        private long max;

        synchronized void add(long nanos) {
            count++;
            total += nanos;
            max = Math.max(max, nanos);
        }

        synchronized TierTime snapshot() {
            return new TierTime(count, Duration.ofNanos(total), Duration.ofNanos(max));
        }
    }

    /** Builds a {@link NoetherMonitor}. */
    public static final class Builder {
        private final NetworkDescription description;
        private NoetherConfig config = NoetherConfig.defaults();
        private String engine = "unknown";
        private Clock clock = Clock.systemUTC();
        private Ticker ticker = Ticker.system();
        private Analysis analysis;

        private Builder(NetworkDescription description) {
            this.description = Objects.requireNonNull(description, "description");
        }

        public Builder config(NoetherConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** The engine for {@code noether.info}, e.g. "DJL/PyTorch" or "DL4J/ND4J". */
        public Builder engine(String engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
            return this;
        }

        /** The wall clock of report times and of {@code noether.last.step.timestamp} (default: UTC system clock). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The monotonic time of tier durations, the time floor, the CPU share and the overhead (default
         * {@link Ticker#system()}); tests pass one they move by hand.
         */
        public Builder ticker(Ticker ticker) {
            this.ticker = Objects.requireNonNull(ticker, "ticker");
            return this;
        }

        Builder analysis(Analysis analysis) {
            this.analysis = analysis;
            return this;
        }

        public NoetherMonitor build() {
            return new NoetherMonitor(this);
        }
    }
}
