package org.scif4j.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The wire-id table every received SCIF frame looks its endpoint up in: an id names its
 * endpoint until removed, a removed id names nobody even once its slot is reused, ids are
 * never handed out twice, the table grows without losing anyone, and ids no table made (a
 * lying peer's) find nobody.
 */
class WireIdsTest {
    private final WireIds<String> ids = new WireIds<>();

    @Test
    void anIdNamesItsEndpointUntilRemoved() {
        long a = ids.add("a");
        long b = ids.add("b");
        assertSame("a", ids.get(a));
        assertSame("b", ids.get(b));
        ids.remove(a);
        assertNull(ids.get(a));
        assertSame("b", ids.get(b));
    }

    @Test
    void aReusedSlotDoesNotReviveTheOldId() {
        long a = ids.add("a");
        ids.remove(a);
        long c = ids.add("c");
        assertEquals((int) a, (int) c, "the slot is reused");
        assertNotEquals(a, c);
        assertNull(ids.get(a), "a late frame for the endpoint gone finds nobody");
        assertSame("c", ids.get(c));
        ids.remove(a); // removing the old id again leaves the new holder alone
        assertSame("c", ids.get(c));
    }

    @Test
    void theTableGrowsAndKeepsEveryone() {
        List<Long> added = new ArrayList<>();
        Set<Long> unique = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            long id = ids.add("e" + i);
            added.add(id);
            unique.add(id);
        }
        assertEquals(1000, unique.size());
        for (int i = 0; i < 1000; i++) {
            assertEquals("e" + i, ids.get(added.get(i)));
        }
        int[] seen = {0};
        ids.forEach(e -> seen[0]++);
        assertEquals(1000, seen[0]);
    }

    @Test
    void idsNoTableMadeFindNobody() {
        long a = ids.add("a");
        assertNull(ids.get(0));
        assertNull(ids.get(a + 1));
        assertNull(ids.get(a ^ (1L << 40)));
        assertNull(ids.get(-1));
        assertNull(ids.get(Long.MIN_VALUE | 5));
        assertNull(ids.get(1L << 32 | 1_000_000));
    }
}
