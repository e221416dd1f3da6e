package org.scif4j.bench.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CpuPinningTest {
    @Test
    void parsesLinuxCpuLists() {
        assertEquals(List.of(0, 1), CpuPinning.parseCpuList("0-1"));
        assertEquals(List.of(0, 2, 3, 4, 7), CpuPinning.parseCpuList("0,2-4,7"));
        assertEquals(List.of(5), CpuPinning.parseCpuList("5\n"));
    }

    @Test
    void noPinWhenNotAsked() {
        CpuPinning p = CpuPinning.plan(false);
        assertFalse(p.pinned());
        assertEquals(List.of(), p.childPrefix());
        assertTrue(p.note().startsWith("unpinned"), p.note());
    }

    @Test
    void childCommandCarriesTheJvmFlags() {
        List<String> cmd = ChildJvm.javaCommand(CpuPinningTest.class);
        assertTrue(cmd.containsAll(JvmFlags.all()), cmd.toString());
        assertTrue(JvmFlags.all().contains("--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED"),
            JvmFlags.all().toString());
        assertEquals(CpuPinningTest.class.getName(), cmd.get(cmd.size() - 1));
    }
}
