package org.scif4j.bench.sweep;

import org.scif4j.bench.baseline.AeronPeer;
import org.scif4j.bench.baseline.CopyBuffers;
import org.scif4j.bench.baseline.NettyLoopback;

/**
 * The baselines a transport's sweep interleaves with its own rounds.
 *
 * @param copy  the buffers of memcpy and the two-thread copy
 * @param aeron the Aeron IPC peer (judges shm), or null
 * @param netty plain Netty on the loopback (judges tcp), or null
 */
record Baselines(CopyBuffers copy, AeronPeer aeron, NettyLoopback netty) {
}
