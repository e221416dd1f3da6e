package org.scif4j.bench.sweep;

import java.util.List;

/** Names of what {@code scif bench} measures: the keys of its table, chart and JSON. */
public final class Series {
    /** RMA and streaming paths of a transport, prefixed by the transport: "shm writeTo cpu". */
    public static final List<String> PATHS = List.of("writeTo cpu", "writeTo dma", "readFrom cpu",
        "readFrom dma", "vwriteTo cpu", "vwriteTo dma", "send/recv");
    /** The RMA paths, in the order a sweep measures them at each size. */
    public static final List<String> RMA_PATHS = List.of("writeTo cpu", "readFrom cpu", "vwriteTo cpu",
        "writeTo dma", "readFrom dma", "vwriteTo dma");
    /** Baseline: a plain single-thread direct ByteBuffer copy of the same size. */
    public static final String MEMCPY = "memcpy";
    /** Baseline: two threads copying halves (sizes of 16 MiB and up). */
    public static final String TWO_THREAD_COPY = "two-thread copy";
    /** Baseline: plain Netty NIO streaming over TCP loopback. */
    public static final String NETTY_STREAM = "netty nio loopback";
    /** Peer: Aeron IPC streaming, the receiver copying out. */
    public static final String AERON_STREAM = "aeron ipc";
    /** Latency: the raw two-process shared-memory flag ping-pong. */
    public static final String FLOOR = "floor: raw shm ping-pong";
    /** Latency: the same floor measured in the native sweep's rounds. */
    public static final String FLOOR_BESIDE_NATIVE = "floor beside native";
    /**
     * The label of the shm transport measured in the same rounds as native, its baseline:
     * "shm beside native writeTo cpu", "shm beside native send/recv".
     */
    public static final String NATIVE_BASELINE = "shm beside native";
    /** Bytes of the messages whose rate shm's send/recv and Aeron IPC are measured at. */
    public static final int MESSAGE = 64;
    /** Sizes from which DMA rows are judged against the two-thread copy. */
    public static final long TWO_THREAD_FROM = 16L << 20;

    private Series() {
    }

    /**
     * @param transport e.g. {@code shm}
     * @param path      one of {@link #PATHS}
     * @return e.g. {@code shm writeTo cpu}
     */
    public static String of(String transport, String path) {
        return transport + " " + path;
    }

    /**
     * @param transport e.g. {@code shm}
     * @return the latency row of its 8 B send/recv round trip
     */
    public static String roundTrip(String transport) {
        return transport + " send/recv";
    }

    /**
     * @param transport e.g. {@code shm}
     * @return the latency row of its 8 B round trip through windows mapped with {@code mmap}:
     *     {@code shm mmap flags}
     */
    public static String mappedRoundTrip(String transport) {
        return transport + " mmap flags";
    }

    /**
     * @param series e.g. {@code shm send/recv} or {@link #AERON_STREAM}
     * @return its message rate row: {@code shm send/recv 64 B messages}, {@code aeron ipc 64 B messages}
     */
    public static String messages(String series) {
        return series + " " + human(MESSAGE) + " messages";
    }

    /**
     * @param size bytes
     * @return e.g. {@code 64 KiB}, {@code 16 MiB}, {@code 100 B}
     */
    public static String human(long size) {
        if (size >= 1 << 30 && size % (1 << 30) == 0) {
            return (size >> 30) + " GiB";
        }
        if (size >= 1 << 20 && size % (1 << 20) == 0) {
            return (size >> 20) + " MiB";
        }
        if (size >= 1 << 10 && size % (1 << 10) == 0) {
            return (size >> 10) + " KiB";
        }
        return size + " B";
    }

    /** @return whether a latency row is a raw floor ({@link #FLOOR}, {@link #FLOOR_BESIDE_NATIVE}) */
    public static boolean isFloor(String row) {
        return FLOOR.equals(row) || FLOOR_BESIDE_NATIVE.equals(row);
    }
}
