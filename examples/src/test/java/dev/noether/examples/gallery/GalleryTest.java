package dev.noether.examples.gallery;

import dev.noether.examples.NoetherDemo;
import dev.noether.exporter.EventLogReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The gallery end to end at its {@code --quick} size (the CI size: the smallest that still shows each result): one
 * run of {@code gallery --quick --out DIR} through its command line, then each figure's quantitative claim checked
 * against the theory, the PNGs as real images, the report and the event logs it links.
 */
class GalleryTest {
    @TempDir
    static Path out;
    private static int exit;
    private static String printed;
    private static Map<String, FigureResult> figures;

    @BeforeAll
    static void drawTheQuickGallery() {
        GalleryCommand gallery = new GalleryCommand();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        gallery.console = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        exit = new CommandLine(gallery).execute("--quick", "--out", out.toString());
        printed = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(printed); // the tables, in the test report
        figures = new java.util.LinkedHashMap<>();
        for (FigureResult r : gallery.results()) {
            figures.put(r.id(), r);
        }
    }

    @Test
    void everyFigureIsDrawnAndEveryBindingClaimAgrees() {
        assertThat(figures.keySet()).containsExactly("1-threshold", "2-noether", "3-balance", "4-sgd-vs-gd", "5-blocks",
                "6-crh", "7-pah", "8-charge-forces");
        assertThat(exit).as(printed).isZero();
        assertThat(printed).containsPattern("gallery: (\\d+) of \\1 claims agree \\(figures: 8 drawn, 0 stubs\\)");
    }

    /** Figure 1: the transition lands within 10 % of γ_c = E[xy] (DJL) and 2E[xy] (DL4J's MSE), E[xy] computed here. */
    @Test
    void theDeadNeuronTransitionLandsWithinTenPercentOfThePredictedThreshold() {
        Samples data = ThresholdFigure.data();
        double exy = 0;
        for (int i = 0; i < data.count(); i++) {
            exy += (double) data.x()[i] * data.y()[i];
        }
        exy /= data.count();
        Matcher line = Pattern.compile("(?m)^threshold: predicted (\\S+) measured (\\S+)$").matcher(printed);
        assertThat(line.find()).as("the threshold line in\n%s", printed).isTrue();
        double predicted = Double.parseDouble(line.group(1));
        double measured = Double.parseDouble(line.group(2));
        assertThat(predicted).isCloseTo(exy, within(1e-6));
        assertThat(Math.abs(measured - exy) / exy).isLessThanOrEqualTo(0.10);
        double dl4j = figures.get("1-threshold").number("dl4j.threshold.measured").orElseThrow();
        assertThat(Math.abs(dl4j - 2 * exy) / (2 * exy)).isLessThanOrEqualTo(0.10);
    }

    /** Figure 2: drift GD ≪ SGD; decay (1 − ηγ)² per step; the exact identity's residual at round-off. */
    @Test
    void smallStepGdConservesTheChargeSgdDriftsAndWeightDecayShrinksIt() {
        FigureResult f = figures.get("2-noether");
        double gd = f.number("gd.drift").orElseThrow();
        double sgd = f.number("sgd.drift").orElseThrow();
        assertThat(gd).isLessThan(1e-3);
        assertThat(sgd).isGreaterThan(10 * gd).isGreaterThan(1e-3);
        double perStep = (1 - NoetherTheoremFigure.WD_ETA * NoetherTheoremFigure.WD_GAMMA);
        perStep *= perStep;
        assertThat(Math.log(f.number("decay.per.step.measured").orElseThrow()))
                .isCloseTo(Math.log(perStep), within(0.05 * -Math.log(perStep)));
        assertThat(f.number("residual.max").orElseThrow()).isLessThanOrEqualTo(1e-5);
    }

    /** Figure 3: norm.spread falls under SGD, only: GD keeps it within 1e-2. */
    @Test
    void theNormSpreadFallsUnderSgdOnly() {
        FigureResult f = figures.get("3-balance");
        double sgd0 = f.number("sgd-unequal.spread.first").orElseThrow();
        assertThat(f.number("sgd-unequal.spread.last").orElseThrow()).isLessThan(0.6 * sgd0);
        double gd0 = f.number("gd-unequal.spread.first").orElseThrow();
        assertThat(gd0).isCloseTo(sgd0, within(1e-9 * sgd0)); // one start
        assertThat(f.number("gd-unequal.spread.last").orElseThrow()).isCloseTo(gd0, within(1e-2 * gd0));
    }

    /** Figure 4: W Σx Wᵀ and Uᵀ Σε U align under SGD, not under GD. */
    @Test
    void sgdAlignsTheForwardAndBackwardRepresentationsGdDoesNot() {
        FigureResult f = figures.get("4-sgd-vs-gd");
        for (String side : new String[] {"forward", "backward"}) {
            double sgd = f.number(side + ".sgd").orElseThrow();
            double gd = f.number(side + ".gd").orElseThrow();
            double chance = f.number(side + ".baseline").orElseThrow();
            assertThat(sgd).as(side).isGreaterThan(gd + 0.25).isGreaterThan(chance + 0.2);
        }
    }

    /** Figure 5: more neuron blocks and a larger largest block with weight decay, fewer distinct neurons. */
    @Test
    void weightDecayMakesNeuronBlocks() {
        FigureResult f = figures.get("5-blocks");
        double[] gammas = NeuronBlocksFigure.gammas(true);
        double blocks0 = f.number("neuron.blocks@0.0").orElseThrow();
        for (int k = 1; k < gammas.length; k++) {
            assertThat(f.number("neuron.blocks@" + gammas[k]).orElseThrow()).as("γ = %s", gammas[k])
                    .isGreaterThanOrEqualTo(blocks0 + 3);
        }
        double top = gammas[gammas.length - 1];
        assertThat(f.number("neuron.block.max.size@" + top).orElseThrow())
                .isGreaterThan(f.number("neuron.block.max.size@0.0").orElseThrow());
        assertThat(f.number("neurons.distinct@" + top).orElseThrow())
                .isLessThan(f.number("neurons.distinct@0.0").orElseThrow());
    }

    /** Figure 6 (METRICS.md §9.6): all six alignments of the penultimate and output layers above their baselines. */
    @Test
    void allSixAlignmentsOfThePenultimateAndOutputLayersExceedTheirRandomBaselines() {
        FigureResult f = figures.get("6-crh");
        for (String role : new String[] {"penultimate", "output"}) {
            for (String side : CanonicalFigure.SIDES) {
                for (String relation : CanonicalFigure.RELATIONS) {
                    String key = role + "." + side + "." + relation;
                    assertThat(f.number(key).orElseThrow()).as(key)
                            .isGreaterThan(f.number(key + ".baseline").orElseThrow());
                }
            }
        }
    }

    /** Figure 7: the exponent Noether reports is the slope of the eigenvalue pairs it logged, refitted here. */
    @Test
    void thePolynomialExponentsAreTheSlopesOfTheLoggedEigenvalues() {
        FigureResult f = figures.get("7-pah");
        List<Map<String, Object>> analyses = EventLogReader.readAll(out.resolve("6-crh.jsonl")).stream()
                .filter(r -> "analysis".equals(r.get("type"))).toList();
        Map<String, Object> last = analyses.get(analyses.size() - 1);
        Map<String, Object> layers = Records.map(last, "layers");
        int checked = 0;
        for (String layer : layers.keySet()) {
            double[] x = Records.numbers(last, "details", "layers", layer, "pah", "b", "log_lambda_g");
            double[] y = Records.numbers(last, "details", "layers", layer, "pah", "b", "log_lambda_h");
            if (x == null || x.length < 2) {
                continue;
            }
            double mx = 0, my = 0;
            for (int i = 0; i < x.length; i++) {
                mx += x[i] / x.length;
                my += y[i] / x.length;
            }
            double sxy = 0, sxx = 0;
            for (int i = 0; i < x.length; i++) {
                sxy += (x[i] - mx) * (y[i] - my);
                sxx += (x[i] - mx) * (x[i] - mx);
            }
            assertThat(f.number(layer + ".fitted").orElseThrow()).as(layer).isCloseTo(sxy / sxx, within(1e-9));
            checked++;
        }
        assertThat(checked).isEqualTo(3);
    }

    /**
     * Figure 8 (METRICS.md §11), recomputed here from its event log, every pair at every step: the four parts of
     * {@code charge.drift.rate.part} sum to the observed rate; plain SGD's optimizer part is 0 and its decay part
     * −2ηγ·Q/S of the step before; heavy ball's exact one-step law holds ({@code charge.residual} ≤ 1e-5 from the
     * third step, where Δ⁻ exists); Adam's optimizer part is the largest and its gradient part 0 (the symmetry).
     */
    @Test
    void whatMovesTheChargeUnderSgdHeavyBallAndAdamIsWhatTheTheorySays() {
        List<Map<String, Object>> records = EventLogReader.readAll(out.resolve("8-charge-forces.jsonl"));
        int steps = ChargeForcesFigure.steps(true);
        String[] parts = ChargeForcesFigure.PARTS;
        for (String[] run : ChargeForcesFigure.RUNS) {
            List<Map<String, Object>> observed = records.stream()
                    .filter(r -> "step".equals(r.get("type")) && run[0].equals(r.get("model"))).toList();
            assertThat(observed).as(run[0]).hasSize(steps + 1); // every step, and the state after the last update
            double[] meanAbs = new double[parts.length];
            double meanAbsRate = 0;
            double maxResidual = 0;
            int checked = 0;
            for (int i = 1; i < observed.size(); i++) {
                Map<String, Object> before = observed.get(i - 1);
                Map<String, Object> now = observed.get(i);
                long step = ((Number) now.get("step")).longValue();
                assertThat(step).isEqualTo(((Number) before.get("step")).longValue() + 1);
                Map<String, Object> pairs = Records.map(now, "pairs");
                assertThat(pairs).as("%s step %d", run[0], step).hasSize(2);
                for (String pair : pairs.keySet()) {
                    double rate = Records.number(now, "pairs", pair, "charge.drift.rate");
                    double[] v = new double[parts.length];
                    double sum = 0;
                    double abs = 0;
                    for (int p = 0; p < parts.length; p++) {
                        v[p] = Records.number(now, "pairs", pair, "charge.drift.rate.part." + parts[p]);
                        assertThat(v[p]).as("%s %s %s at %d", run[0], pair, parts[p], step).isFinite();
                        sum += v[p];
                        abs += Math.abs(v[p]);
                        meanAbs[p] += Math.abs(v[p]);
                    }
                    meanAbsRate += Math.abs(rate);
                    assertThat(sum).as("%s %s: Σ parts at %d", run[0], pair, step).isCloseTo(rate, within(1e-9 * abs));
                    double residual = Records.number(now, "pairs", pair, "charge.residual");
                    switch (run[0]) {
                        case "forces-sgd" -> {
                            assertThat(Math.abs(v[1])).as("SGD optimizer part at %d", step).isLessThan(1e-7);
                            double decay = -2.0 * ChargeForcesFigure.SGD_ETA * ChargeForcesFigure.SGD_GAMMA
                                    * Records.number(before, "pairs", pair, "charge.relative");
                            assertThat(v[0]).as("SGD decay part at %d", step).isCloseTo(decay, within(1e-6 * Math.abs(decay)));
                        }
                        case "forces-momentum" -> {
                            if (step >= 2) {
                                assertThat(residual).as("heavy-ball residual of %s at %d", pair, step).isLessThanOrEqualTo(1e-5);
                                maxResidual = Math.max(maxResidual, residual);
                            } else {
                                assertThat(residual).as("no prediction without the update before").isNaN();
                            }
                        }
                        default -> assertThat(residual).as("Adam has no closed prediction").isNaN();
                    }
                    checked++;
                }
            }
            assertThat(checked).isEqualTo(2 * steps);
            if (run[0].equals("forces-momentum")) {
                assertThat(meanAbsRate / checked).as("the heavy-ball prediction is not trivially met")
                        .isGreaterThan(100 * maxResidual);
                assertThat(meanAbs[1]).as("momentum memory moves the charge").isGreaterThan(1e-3 * meanAbs[3]);
            }
            if (run[0].equals("forces-adam")) {
                assertThat(meanAbs[1]).as("Adam: mean |optimizer|").isGreaterThan(meanAbs[0]).isGreaterThan(meanAbs[2])
                        .isGreaterThan(meanAbs[3]);
                assertThat(meanAbs[2]).as("Adam: mean |gradient|, the ReLU pairs keep the symmetry")
                        .isLessThan(1e-6 * meanAbs[1]);
            }
        }
    }

    /** Each PNG is a real image of the size its panels make, with varied content (not a blank canvas). */
    @Test
    void everyPngIsARealImageOfTheExpectedSizeWithNonUniformContent() throws Exception {
        Map<String, int[]> panels = Map.of("1-threshold", new int[] {2, 1}, "2-noether", new int[] {3, 1}, "3-balance",
                new int[] {2, 2}, "4-sgd-vs-gd", new int[] {1, 1}, "5-blocks", new int[] {3, 1}, "6-crh", new int[] {2, 1},
                "7-pah", new int[] {3, 1}, "8-charge-forces", new int[] {3, 2});
        for (Map.Entry<String, int[]> e : panels.entrySet()) {
            assertThat(figures.get(e.getKey()).pngs()).containsExactly(e.getKey() + ".png");
            BufferedImage image = ImageIO.read(out.resolve(e.getKey() + ".png").toFile());
            assertThat(image).as(e.getKey()).isNotNull();
            assertThat(image.getWidth()).as(e.getKey()).isEqualTo(e.getValue()[0] * Charts.PANEL_WIDTH);
            assertThat(image.getHeight()).as(e.getKey()).isEqualTo(e.getValue()[1] * Charts.PANEL_HEIGHT);
            Set<Integer> colours = new HashSet<>();
            long nonWhite = 0;
            for (int y = 0; y < image.getHeight(); y += 2) {
                for (int x = 0; x < image.getWidth(); x += 2) {
                    int rgb = image.getRGB(x, y) & 0xffffff;
                    colours.add(rgb);
                    nonWhite += rgb == 0xffffff ? 0 : 1;
                }
            }
            assertThat(colours.size()).as("distinct colours in %s", e.getKey()).isGreaterThan(20);
            assertThat(nonWhite).as("non-white pixels in %s", e.getKey())
                    .isGreaterThan((long) image.getWidth() * image.getHeight() / 4 / 10);
        }
    }

    /** index.html: every figure, its PNG and its event log linked by relative name; nothing fetched from elsewhere. */
    @Test
    void theReportIsSelfContainedAndLinksEveryFigureAndItsEventLog() throws Exception {
        String html = Files.readString(out.resolve("index.html"));
        for (FigureResult f : figures.values()) {
            assertThat(html).contains("id=\"" + f.id() + "\"");
            for (String png : f.pngs()) {
                assertThat(html).contains("<img src=\"" + png + "\"");
            }
            if (f.log() != null) {
                assertThat(html).contains("href=\"" + f.log() + "\"");
                assertThat(out.resolve(f.log())).exists();
            }
            for (Claim c : f.claims()) {
                assertThat(html).contains(c.measured().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"));
            }
        }
        assertThat(html).doesNotContain("<script").doesNotContain("src=\"http")
                .doesNotContain("href=\"http");
    }

    /** The event logs are Noether's own: every record of a figure's runs, as the page's `ui` replays them. */
    @Test
    void eachFiguresEventLogHoldsItsRunsAsNoetherWroteThem() {
        List<Map<String, Object>> records = EventLogReader.readAll(out.resolve("2-noether.jsonl"));
        Set<Object> models = new HashSet<>();
        records.forEach(r -> models.add(r.get("model")));
        assertThat(models).containsExactlyInAnyOrder("noether-gd", "noether-sgd", "noether-sgd-decay");
        // every step observed (the figure's setting): steps 0..N of each run, plus the final state
        assertThat(records.stream().filter(r -> "step".equals(r.get("type")) && "noether-gd".equals(r.get("model"))).count())
                .isGreaterThanOrEqualTo(400);
    }

    @Test
    void helpListsEveryFigureAndAMissingOutFolderIsAClearError() throws Exception {
        String help = new CommandLine(new GalleryCommand()).getUsageMessage();
        assertThat(help).contains("--out").contains("--quick").contains("threshold").contains("noether").contains("balance")
                .contains("sgd-vs-gd").contains("blocks").contains("crh").contains("pah").contains("charge-forces");
        assertThat(new CommandLine(new NoetherDemo()).getUsageMessage()).contains("gallery");
        PrintStream err = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            assertThat(new CommandLine(new GalleryCommand()).execute("threshold")).isEqualTo(2);
        } finally {
            System.setErr(err);
        }
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("--out DIR is required");
    }
}
