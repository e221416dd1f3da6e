package org.scif4j.shm;

import java.nio.file.Path;
import java.util.Set;
import org.scif4j.ScifException;
import org.scif4j.spi.FabricUri;
import org.scif4j.spi.WaitMode;

/**
 * The options of an {@code shm:NAME?opt=value&...} fabric URI, each with its default. This is
 * the one place they are defined; the README lists them.
 *
 * @param name       the fabric's name: its directory under {@code dir}
 * @param node       the node id to attach as (0 is the host, 1..256 cards)
 * @param waitMode   how blocked calls wait (BLOCK and the end of ADAPTIVE sleep on a futex in shared memory)
 * @param dmaThreads threads of the node's emulated DMA engine
 * @param dir        the directory holding fabrics
 * @param ringBytes  size of each direction's message ring; {@code ringBytes - 1} may be
 *                   outstanding, as in SCIF
 * @param privileged whether ports below 1024 may be bound (only when running as root)
 * @param timeoutMillis the watchdog period: how long connect waits for an accept, and
 *                   fenceWait for its RMAs, before failing as SCIF does
 */
public record ShmOptions(String name, int node, WaitMode waitMode, int dmaThreads, Path dir,
                         int ringBytes, boolean privileged, long timeoutMillis) {

    /** Option {@code node}: the node id; default {@value #DEFAULT_NODE}. */
    public static final String NODE = "node";
    /** Option {@code wait}: {@code spin|yield|block|adaptive}; default adaptive. */
    public static final String WAIT = "wait";
    /** Option {@code dma}: DMA engine threads; default {@value #DEFAULT_DMA}. */
    public static final String DMA = "dma";
    /** Option {@code dir}: where fabrics live; default {@value #DEFAULT_DIR}. */
    public static final String DIR = "dir";
    /** Option {@code ring}: bytes per direction, a power of two; default {@value #DEFAULT_RING}. */
    public static final String RING = "ring";
    /** Option {@code privileged}: allow ports below 1024 (root only); default false. */
    public static final String PRIVILEGED = "privileged";
    /** Option {@code timeout}: watchdog milliseconds; default {@value #DEFAULT_TIMEOUT_MILLIS}. */
    public static final String TIMEOUT = "timeout";

    /** Default node id: the host. */
    public static final int DEFAULT_NODE = 0;
    /** Default DMA engine threads. */
    public static final int DEFAULT_DMA = 1;
    /** Default fabric directory. */
    public static final String DEFAULT_DIR = "/dev/shm/scif4j";
    /**
     * Default ring size per direction, 16 MiB, as Aeron IPC's terms are large: bulk sends stream
     * through an area (2R, 32 MiB) whose lines the reader's caches have let go of by the time
     * the writer comes round again, which streams 64 KiB sends about 1.5-2x faster than 4 MiB
     * between cores that share no cache, while sends of up to a page that the reader keeps up
     * with keep to its first 256 KiB (docs/shm-format.md, "Wrapping early"; docs/decisions.md,
     * "The default ring is 16 MiB"). Only the pages used take {@code /dev/shm}.
     */
    public static final int DEFAULT_RING = 16 * 1024 * 1024;
    /** Smallest ring: SCIF's own 4096-byte queue, 4095 bytes usable. */
    public static final int MIN_RING = 4096;
    /** Largest ring. */
    public static final int MAX_RING = 1 << 30;
    /** Default watchdog period, shorter than the driver's 10-30 s: emulated nodes answer fast. */
    public static final long DEFAULT_TIMEOUT_MILLIS = 5_000;
    /** Node ids 0..256: the host and up to 256 cards, as G3 allows. */
    public static final int MAX_NODES = 257;

    private static final Set<String> KNOWN = Set.of(NODE, WAIT, DMA, DIR, RING, PRIVILEGED, TIMEOUT);

    /**
     * Reads the options of an {@code shm:} URI.
     *
     * @param uri the parsed URI
     * @return the options
     * @throws ScifException EINVAL for an unknown option or a value out of range
     */
    public static ShmOptions from(FabricUri uri) throws ScifException {
        uri.requireKnownOptions(KNOWN);
        String name = uri.target().isEmpty() ? "default" : uri.target();
        if (!name.matches("[A-Za-z0-9._-]{1,100}") || name.equals(".") || name.equals("..")) {
            throw uri.invalid("fabric name '" + name + "' is not usable as a directory name;"
                + " expected 1-100 of A-Z a-z 0-9 . _ -");
        }
        int node = (int) uri.longOption(NODE, DEFAULT_NODE, 0, MAX_NODES - 1);
        WaitMode wait = WaitMode.option(uri, WAIT);
        int dma = (int) uri.longOption(DMA, DEFAULT_DMA, 1, 64);
        String dirText = uri.option(DIR, DEFAULT_DIR);
        if (dirText.isBlank() || !dirText.startsWith("/")) {
            throw uri.invalid("option dir=" + dirText + " is not an absolute path");
        }
        int ring = (int) uri.longOption(RING, DEFAULT_RING, MIN_RING, MAX_RING);
        if (Integer.bitCount(ring) != 1) {
            throw uri.invalid("option ring=" + ring + " is not a power of two; expected e.g."
                + " 4096 (SCIF's own size) or " + DEFAULT_RING);
        }
        boolean privileged = uri.booleanOption(PRIVILEGED, false);
        long timeout = uri.longOption(TIMEOUT, DEFAULT_TIMEOUT_MILLIS, 1, 3_600_000);
        return new ShmOptions(name, node, wait, dma, Path.of(dirText), ring, privileged, timeout);
    }

    /** @return the directory of this fabric: {@code dir/name} */
    public Path fabricDir() {
        return dir.resolve(name);
    }
}
