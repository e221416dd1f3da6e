package org.scif4j.bench.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The chart's size axis: base 2, labelled as the tables label sizes. */
class BenchChartTest {
    @Test
    void sizeTicksAreWholePowersOfTwoInBinaryUnits() {
        assertEquals("1 KiB", BenchChart.sizeLabel(BenchChart.log2(1024)));
        assertEquals("4 KiB", BenchChart.sizeLabel(12));
        assertEquals("64 MiB", BenchChart.sizeLabel(26));
        assertEquals("1 GiB", BenchChart.sizeLabel(30));
        assertEquals("512 B", BenchChart.sizeLabel(9));
    }

    @Test
    void ticksBetweenPowersOfTwoCarryNoLabel() {
        assertEquals(" ", BenchChart.sizeLabel(12.5));
        assertEquals(" ", BenchChart.sizeLabel(-1));
        assertEquals(" ", BenchChart.sizeLabel(63));
    }
}
