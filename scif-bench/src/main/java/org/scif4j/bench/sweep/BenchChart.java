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
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The bandwidth chart of {@code scif bench}, drawn with XChart: GB/s against transfer size on a
 * logarithmic size axis, one line per path, in the manner of the "Comparison of TCP and SCIF
 * based BW" figure of the SCIF documentation. Baselines are dashed.
 */
public final class BenchChart {
    /** File name of the chart, without extension. */
    public static final String NAME = "scif-bench";

    private BenchChart() {
    }

    /**
     * Writes {@value #NAME}.png and {@value #NAME}.svg into {@code dir}.
     *
     * @param r   the results
     * @param dir the directory (created if missing)
     * @return the two files
     * @throws IOException when they cannot be written
     */
    public static List<Path> write(BenchResult r, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        XYChart chart = chart(r);
        Path png = dir.resolve(NAME + ".png");
        Path svg = dir.resolve(NAME + ".svg");
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        VectorGraphicsEncoder.saveVectorGraphic(chart, svg.toString(),
            VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        return List.of(png, svg);
    }

    static XYChart chart(BenchResult r) {
        XYChart chart = new XYChartBuilder().width(1000).height(620)
            .title("scif4j: bandwidth by transfer size (" + String.join(", ", r.transports()) + ", same run)")
            .xAxisTitle("transfer size (bytes)").yAxisTitle("bandwidth (GB/s)").build();
        chart.getStyler().setXAxisLogarithmic(true)
            .setXAxisDecimalPattern("#,###")
            .setLegendPosition(Styler.LegendPosition.OutsideE)
            .setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setMarkerSize(6);
        for (Map.Entry<String, Map<Long, Double>> e : r.bandwidth().entrySet()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (Map.Entry<Long, Double> p : e.getValue().entrySet()) {
                if (Double.isFinite(p.getValue())) {
                    x.add((double) p.getKey());
                    y.add(p.getValue());
                }
            }
            if (x.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(e.getKey(), x, y);
            if (isBaseline(e.getKey())) {
                s.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {6f, 4f}, 0f));
                s.setMarker(SeriesMarkers.NONE);
            }
        }
        return chart;
    }

    private static boolean isBaseline(String series) {
        return series.equals(Series.MEMCPY) || series.equals(Series.TWO_THREAD_COPY)
            || series.equals(Series.NETTY_STREAM) || series.equals(Series.AERON_STREAM);
    }

}
