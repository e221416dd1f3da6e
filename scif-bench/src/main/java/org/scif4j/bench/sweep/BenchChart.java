package org.scif4j.bench.sweep;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The charts of {@code scif bench}, drawn with XChart, in the manner of the "Comparison of TCP and
 * SCIF based BW" figure of the SCIF documentation: bandwidth by transfer size (baselines dashed and
 * black or grey), and below it each path's ratio to its baseline measured in the same rounds,
 * which is the figure that means something on a shared machine. Sizes are on a base-2 axis
 * labelled in KiB/MiB, and the colours are the Okabe-Ito palette, which stays distinct under
 * the common colour-vision deficiencies; markers differ too, for print in grey.
 */
public final class BenchChart {
    /** File name of the charts, without extension. */
    public static final String NAME = "scif-bench";

    /** Okabe-Ito: orange, sky blue, bluish green, blue, vermillion, reddish purple, yellow. */
    private static final Color[] PALETTE = {
        new Color(0xE6, 0x9F, 0x00), new Color(0x56, 0xB4, 0xE9), new Color(0x00, 0x9E, 0x73),
        new Color(0x00, 0x72, 0xB2), new Color(0xD5, 0x5E, 0x00), new Color(0xCC, 0x79, 0xA7),
        new Color(0xB8, 0xA8, 0x00),
    };
    private static final Marker[] MARKERS = {
        SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND, SeriesMarkers.TRIANGLE_UP,
        SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.PLUS,
    };
    private static final BasicStroke SOLID = new BasicStroke(2.2f);

    private BenchChart() {
    }

    /**
     * Writes {@value #NAME}.png (bandwidth above, ratios below) and {@value #NAME}.svg (bandwidth)
     * and {@value #NAME}-ratios.svg into {@code dir}.
     *
     * @param r   the results
     * @param dir the directory (created if missing)
     * @return the files written
     * @throws IOException when they cannot be written
     */
    public static List<Path> write(BenchResult r, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        XYChart bandwidth = bandwidth(r);
        XYChart ratios = ratios(r);
        Path png = dir.resolve(NAME + ".png");
        Path svg = dir.resolve(NAME + ".svg");
        Path ratiosSvg = dir.resolve(NAME + "-ratios.svg");
        BitmapEncoder.saveBitmap(List.of(bandwidth, ratios), 2, 1, png.toString(),
            BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(bandwidth, svg.toString(),
            VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        VectorGraphicsEncoder.saveVectorGraphic(ratios, ratiosSvg.toString(),
            VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        return List.of(png, svg, ratiosSvg);
    }

    /** GB/s against log2 of the size; baselines dashed in black and grey. */
    static XYChart bandwidth(BenchResult r) {
        XYChart chart = base("scif4j: bandwidth by transfer size (" + String.join(", ", r.transports())
            + ", same run)", "bandwidth (GB/s)");
        int subject = 0;
        for (Map.Entry<String, Map<Long, Double>> e : r.bandwidth().entrySet()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (Map.Entry<Long, Double> p : e.getValue().entrySet()) {
                add(x, y, p.getKey(), p.getValue());
            }
            if (x.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(e.getKey(), x, y);
            if (isBaseline(e.getKey())) {
                styleBaseline(s, baselineStyle(e.getKey()));
                if (x.size() == 1) { // a line of one point is invisible: a two-thread copy at 16 MiB only
                    s.setMarker(SeriesMarkers.CIRCLE);
                    s.setMarkerColor(s.getLineColor());
                }
            } else {
                styleSubject(s, subject++);
            }
        }
        return chart;
    }

    /** Each subject's median ratio to its baseline, with a line at 1 (as fast as the baseline). */
    static XYChart ratios(BenchResult r) {
        XYChart chart = base("each path / its baseline in the same rounds (median of the rounds; 1 = as fast)",
            "ratio to baseline");
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        int subject = 0;
        for (Map.Entry<String, Map<Long, BenchResult.Ratio>> e : r.ratios().entrySet()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (Map.Entry<Long, BenchResult.Ratio> p : e.getValue().entrySet()) {
                add(x, y, p.getKey(), p.getValue().rounds().median());
            }
            if (x.isEmpty()) {
                continue;
            }
            for (double v : x) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            styleSubject(chart.addSeries(e.getKey() + " / " + baselines(e.getValue()), x, y), subject++);
        }
        if (lo <= hi) {
            XYSeries one = chart.addSeries("= baseline", new double[] {lo, hi}, new double[] {1, 1});
            styleBaseline(one, 0);
        }
        return chart;
    }

    private static XYChart base(String title, String yTitle) {
        XYChart chart = new XYChartBuilder().width(1100).height(560).title(title)
            .xAxisTitle("transfer size").yAxisTitle(yTitle).build();
        XYStyler style = chart.getStyler();
        style.setxAxisTickLabelsFormattingFunction(BenchChart::sizeLabel);
        style.setPlotGridLinesVisible(true);
        style.setYAxisMin(0.0);
        style.setLegendPosition(Styler.LegendPosition.OutsideE);
        style.setChartBackgroundColor(Color.WHITE);
        style.setMarkerSize(7);
        style.setSeriesColors(PALETTE);
        return chart;
    }

    private static void add(List<Double> x, List<Double> y, long size, double value) {
        if (Double.isFinite(value) && size > 0) {
            x.add(log2(size));
            y.add(value);
        }
    }

    private static void styleSubject(XYSeries s, int i) {
        s.setLineColor(PALETTE[i % PALETTE.length]);
        s.setMarkerColor(PALETTE[i % PALETTE.length]);
        s.setMarker(MARKERS[i % MARKERS.length]);
        s.setLineStyle(SOLID);
    }

    /** Each baseline its own line: black dashes, grey dots, black dash-dots, grey long dashes. */
    private static final float[][] DASHES = {{9f, 5f}, {3f, 4f}, {9f, 4f, 2f, 4f}, {14f, 6f}};

    private static int baselineStyle(String series) {
        List<String> order = List.of(Series.MEMCPY, Series.TWO_THREAD_COPY, Series.AERON_STREAM, Series.NETTY_STREAM);
        return Math.max(0, order.indexOf(series));
    }

    private static void styleBaseline(XYSeries s, int i) {
        Color c = i % 2 == 0 ? Color.BLACK : new Color(0x60, 0x60, 0x60);
        float[] dash = DASHES[i % DASHES.length];
        s.setLineStyle(new BasicStroke(2.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
        s.setLineColor(c);
        s.setMarker(SeriesMarkers.NONE);
    }

    /** @return the baselines a path was judged against, in size order: "memcpy, two-thread copy" */
    private static String baselines(Map<Long, BenchResult.Ratio> m) {
        return String.join(", ", m.values().stream().map(BenchResult.Ratio::vs).distinct().toList());
    }

    static double log2(long size) {
        return Math.log(size) / Math.log(2);
    }

    /**
     * @param log2size a tick's position on the axis
     * @return the size it stands for in B/KiB/MiB/GiB when it is a whole power of two, else a blank
     *         (XChart cannot lay out an empty label: sizes such as 4k,6000 put ticks between powers)
     */
    static String sizeLabel(double log2size) {
        double rounded = Math.rint(log2size);
        if (Math.abs(log2size - rounded) > 1e-9 || rounded < 0 || rounded > 62) {
            return " ";
        }
        return Series.human(1L << (long) rounded);
    }

    private static boolean isBaseline(String series) {
        return series.equals(Series.MEMCPY) || series.equals(Series.TWO_THREAD_COPY)
            || series.equals(Series.NETTY_STREAM) || series.equals(Series.AERON_STREAM);
    }
}
