package dev.noether.examples.gallery;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.SeriesRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.StackedXYBarRenderer;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultTableXYDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Paint;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The gallery's charts, drawn by JFreeChart: lines over steps (optionally on a log scale, dashed for a theory's
 * prediction), point clouds with fitted lines, grouped bars and correlation heatmaps; several charts side by side
 * in one PNG.
 */
final class Charts {
    /** Width and height of one panel in pixels; a PNG of c columns and r rows is c·W × r·H. */
    static final int PANEL_WIDTH = 560;
    static final int PANEL_HEIGHT = 420;
    private static final Font TITLE = new Font("SansSerif", Font.BOLD, 14);

    private Charts() {}

    /** One line per measured series (solid) and per predicted series (dashed). */
    static JFreeChart lines(String title, String x, String y, boolean logY, List<Series> measured, List<Series> predicted) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : measured) {
            data.addSeries(xy(s, logY));
        }
        for (Series s : predicted) {
            data.addSeries(xy(s, logY));
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, x, y, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < measured.size() + predicted.size(); i++) {
            boolean theory = i >= measured.size();
            r.setSeriesStroke(i, theory
                    ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f)
                    : new BasicStroke(2f));
        }
        plot.setRenderer(r);
        plot.setSeriesRenderingOrder(SeriesRenderingOrder.FORWARD); // the theory on top of the measurement
        if (logY) {
            LogAxis axis = new LogAxis(y);
            axis.setAutoRange(true);
            axis.setNumberFormatOverride(new DecimalFormat("0.##E0")); // the value, not "10^-0.5"
            // the default minimum span, 1e-8, pushes the range of values all below it (round-off) under 0: nothing drawn
            axis.setAutoRangeMinimumSize(1e-300);
            plot.setRangeAxis(axis);
        }
        style(chart);
        return chart;
    }

    /**
     * Stacked bars over x, one stack per x of the {@code parts} (equal x values; positive parts stack up from 0,
     * negative ones down), with {@code total} drawn over them as a line with markers: the parts against the whole
     * they should sum to.
     */
    static JFreeChart stacked(String title, String x, String y, List<Series> parts, Series total) {
        DefaultTableXYDataset bars = new DefaultTableXYDataset();
        bars.setAutoWidth(true); // bars as wide as the x spacing, not the default 1
        for (Series s : parts) {
            XYSeries table = new XYSeries(s.name(), true, false); // what a DefaultTableXYDataset accepts
            for (int i = 0; i < s.size(); i++) {
                table.add(s.x()[i], s.y()[i]);
            }
            bars.addSeries(table);
        }
        NumberAxis xAxis = new NumberAxis(x);
        xAxis.setAutoRangeIncludesZero(false);
        NumberAxis yAxis = new NumberAxis(y);
        yAxis.setNumberFormatOverride(new DecimalFormat("0.##E0"));
        StackedXYBarRenderer stack = new StackedXYBarRenderer(0.15);
        stack.setDrawBarOutline(false);
        stack.setShadowVisible(false);
        stack.setBarPainter(new StandardXYBarPainter());
        XYPlot plot = new XYPlot(bars, xAxis, yAxis, stack);
        XYSeriesCollection line = new XYSeriesCollection(xy(total, false));
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        r.setSeriesPaint(0, Color.BLACK);
        r.setSeriesStroke(0, new BasicStroke(1.5f));
        plot.setRenderer(1, r); // before its dataset: the stacked renderer cannot range a plain collection
        plot.setDataset(1, line);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD); // the observed rate over the bars
        JFreeChart chart = new JFreeChart(title, TITLE, plot, true);
        style(chart);
        return chart;
    }

    /** Points (markers only) with optional lines (e.g. fits), all on the given axes. */
    static JFreeChart points(String title, String x, String y, List<Series> points, List<Series> lines) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : points) {
            data.addSeries(xy(s, false));
        }
        for (Series s : lines) {
            data.addSeries(xy(s, false));
        }
        JFreeChart chart = ChartFactory.createScatterPlot(title, x, y, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
        for (int i = 0; i < points.size() + lines.size(); i++) {
            boolean line = i >= points.size();
            r.setSeriesLinesVisible(i, line);
            r.setSeriesShapesVisible(i, !line);
            if (line) {
                r.setSeriesStroke(i, new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {6f, 4f}, 0f));
            }
        }
        plot.setRenderer(r);
        plot.setSeriesRenderingOrder(SeriesRenderingOrder.FORWARD);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        ((NumberAxis) plot.getDomainAxis()).setAutoRangeIncludesZero(false);
        style(chart);
        return chart;
    }

    /** Grouped bars: values[series][category]. */
    static JFreeChart bars(String title, String y, List<String> series, List<String> categories, double[][] values) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (int s = 0; s < series.size(); s++) {
            for (int c = 0; c < categories.size(); c++) {
                data.addValue(values[s][c], series.get(s), categories.get(c));
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(title, null, y, data, PlotOrientation.VERTICAL, true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        style(chart);
        return chart;
    }

    /**
     * A correlation matrix as a heatmap, rows and columns in {@code order} (indices into the matrix), colours from
     * −1 (blue) through 0 (white) to +1 (red).
     */
    static JFreeChart heatmap(String title, double[][] matrix, int[] order) {
        int n = order.length;
        double[] xs = new double[n * n];
        double[] ys = new double[n * n];
        double[] zs = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int k = i * n + j;
                xs[k] = j;
                ys[k] = n - 1 - i; // row 0 at the top, as a matrix is read
                zs[k] = matrix[order[i]][order[j]];
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("r", new double[][] {xs, ys, zs});
        NumberAxis x = new NumberAxis("neuron (clustered order)");
        NumberAxis y = new NumberAxis(null);
        x.setRange(-0.5, n - 0.5);
        y.setRange(-0.5, n - 0.5);
        y.setTickLabelsVisible(false);
        XYBlockRenderer r = new XYBlockRenderer();
        Diverging scale = new Diverging();
        r.setPaintScale(scale);
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        JFreeChart chart = new JFreeChart(title, TITLE, plot, false);
        NumberAxis legendAxis = new NumberAxis("r");
        legendAxis.setRange(-1, 1);
        PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 4, 4);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Writes the charts side by side, {@code columns} per row, as one PNG of PANEL_WIDTH × PANEL_HEIGHT panels. */
    static void png(Path file, int columns, List<JFreeChart> charts) throws IOException {
        int rows = (charts.size() + columns - 1) / columns;
        BufferedImage image = new BufferedImage(columns * PANEL_WIDTH, rows * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setPaint(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            for (int i = 0; i < charts.size(); i++) {
                int col = i % columns;
                int row = i / columns;
                charts.get(i).draw(g, new Rectangle2D.Double(col * PANEL_WIDTH, row * PANEL_HEIGHT, PANEL_WIDTH, PANEL_HEIGHT));
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(image, "png", file.toFile());
    }

    private static XYSeries xy(Series s, boolean positiveOnly) {
        XYSeries out = new XYSeries(s.name(), false, true);
        for (int i = 0; i < s.size(); i++) {
            if (Double.isFinite(s.y()[i]) && (!positiveOnly || s.y()[i] > 0)) {
                out.add(s.x()[i], s.y()[i]);
            }
        }
        return out;
    }

    private static void style(JFreeChart chart) {
        chart.getTitle().setFont(TITLE);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(new Color(248, 248, 248));
    }

    /** Blue (−1), white (0), red (+1). */
    private static final class Diverging implements PaintScale {
        @Override
        public double getLowerBound() {
            return -1;
        }

        @Override
        public double getUpperBound() {
            return 1;
        }

        @Override
        public Paint getPaint(double value) {
            double v = Double.isNaN(value) ? 0 : Math.max(-1, Math.min(1, value));
            int fade = (int) Math.round(255 * (1 - Math.abs(v)));
            return v >= 0 ? new Color(255, fade, fade) : new Color(fade, fade, 255);
        }
    }
}
