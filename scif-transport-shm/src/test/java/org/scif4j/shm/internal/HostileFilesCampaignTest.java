package org.scif4j.shm.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The hostile-file and crafted-table part of the fault campaign, off by default
 * ({@code -Dscif4j.campaign=true}): every scenario of {@link HostileFilesTest} and {@link
 * CraftedTablesTest} 10 × {@code -Dscif4j.campaign.rounds} times (default 20), in this JVM.
 */
@EnabledIfSystemProperty(named = "scif4j.campaign", matches = "true")
class HostileFilesCampaignTest {
    private static final int ROUNDS = 10 * Integer.getInteger("scif4j.campaign.rounds", 20);

    private interface Scenario {
        void run() throws Exception;
    }

    @Test
    void hostileFilesAndCraftedTablesManyTimes() throws Exception {
        long start = System.nanoTime();
        int n = 0;
        for (int r = 0; r < ROUNDS; r++) {
            HostileFilesTest h = new HostileFilesTest();
            n += run(h::cleanUp, h::connectionNamesTakenByLinksFifosDirectoriesOrGarbageAreSkipped,
                h::memoryFileNamesTakenByALinkAreSkippedByAllocate, h::aLinkFifoOrDirectoryNamedFabricIsRefusedAtOnce,
                h::theFabricDirectoryIsPrivateAndAWorldWritableOneIsRefused, h::aLinkToTheFabricDirectoryItselfIsRefused,
                h::reclaimingNeverDescendsASymlinkedDirectory);
            CraftedTablesTest c = new CraftedTablesTest();
            n += run(c::cleanUp, c::reapingInThisJvmSurvivesTheSameTables,
                c::aLiveListenerWithACorruptQueueFailsAcceptWithENODEVNamingTheField,
                c::offsetsOutsideASharedFileAreRefusedBeforeAnyAccess);
        }
        System.out.printf("CAMPAIGN hostile files and crafted tables: %d scenario runs, all held, %.1f s%n", n,
            (System.nanoTime() - start) / 1e9);
    }

    /** Runs each scenario, cleaning up after each; @return how many ran */
    private static int run(Scenario cleanUp, Scenario... scenarios) throws Exception {
        for (Scenario s : scenarios) {
            try {
                s.run();
            } finally {
                cleanUp.run();
            }
        }
        return scenarios.length;
    }
}
