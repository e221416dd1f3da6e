package org.scif4j.bench.pingpong;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.scif4j.Endpoint;
import org.scif4j.Mapping;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifMemory;
import org.scif4j.ScifNode;
import org.scif4j.bench.baseline.RawShmPingPong;
import org.scif4j.bench.process.ChildJvm;

/**
 * Node 1 of {@code scif pingpong} and {@code scif bench}: attaches, says {@code READY}, connects to node 0's port and
 * carries out its commands ({@link PeerProtocol}) until told to stop.
 */
public final class PingPongPeer {
    private final String fabricUri;
    private final int port;
    private final ByteBuffer floor;
    /** This side's page of the round trip through mapped windows ({@link PeerProtocol#OP_MAP_FLAGS}), or null. */
    private ByteBuffer ownFlags;
    /** Node 0's page, mapped here, or null. */
    private Mapping peerFlags;

    /**
     * @param fabricUri e.g. {@code shm:pingpong-42?node=1&wait=adaptive}
     * @param port      the port node 0 listens on
     * @param floorFile the raw floor's flag file to map before saying {@code READY}, or null
     * @throws IOException when the flag file cannot be mapped
     */
    public PingPongPeer(String fabricUri, int port, Path floorFile) throws IOException {
        this.fabricUri = fabricUri;
        this.port = port;
        this.floor = floorFile == null ? null : RawShmPingPong.map(floorFile);
    }

    /**
     * Runs until node 0 sends {@link PeerProtocol#OP_BYE}.
     *
     * @param ready where {@code READY} is printed once attached
     * @throws ScifException when a SCIF call fails
     */
    public void run(PrintStream ready) throws ScifException {
        try (ScifNode node = Scif.attach(fabricUri); Endpoint ep = node.open()) {
            ready.println(ChildJvm.READY);
            ready.flush();
            ep.connect(new PortId(0, port));
            serve(node, ep);
        }
    }

    private void serve(ScifNode node, Endpoint ep) throws ScifException {
        List<ScifMemory> windows = new ArrayList<>();
        try {
            serve(node, ep, windows);
        } finally {
            if (peerFlags != null) {
                peerFlags.close();
            }
            for (ScifMemory m : windows) {
                m.close();
            }
        }
    }

    private void serve(ScifNode node, Endpoint ep, List<ScifMemory> windows)
        throws ScifException {
        ByteBuffer command = ByteBuffer.allocateDirect(PeerProtocol.COMMAND_BYTES)
            .order(ByteOrder.nativeOrder());
        ByteBuffer message = ByteBuffer.allocateDirect(1);
        while (true) {
            command.clear();
            ep.recv(command, Scif.RECV_BLOCK);
            long op = command.getLong(0);
            long arg = command.getLong(8); // a size, an offset or a first sequence number, by op
            long count = command.getLong(16);
            if (op == PeerProtocol.OP_BYE) {
                return;
            }
            if (op == PeerProtocol.OP_FLOOR) {
                if (floor == null) {
                    throw new IllegalStateException("node 0 asked for the raw floor, but no flag file was given");
                }
                RawShmPingPong.pong(floor, arg, count);
                continue;
            }
            if (op == PeerProtocol.OP_WINDOW) {
                answer(ep, window(node, ep, arg, windows).offset);
                continue;
            }
            if (op == PeerProtocol.OP_MAP_FLAGS) {
                mapFlags(node, ep, arg, windows);
                continue;
            }
            if (op == PeerProtocol.OP_MAPPED) {
                if (peerFlags == null) {
                    throw new IllegalStateException("node 0 asked for mapped round trips before OP_MAP_FLAGS");
                }
                RawShmPingPong.pong(ownFlags, 0, peerFlags.buffer(), 0, arg, count);
                continue;
            }
            int size = Math.toIntExact(arg);
            if (message.capacity() != size) {
                message = ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
            }
            if (op == PeerProtocol.OP_ECHO) {
                echo(ep, message, count);
            } else if (op == PeerProtocol.OP_STREAM) {
                stream(ep, message, count);
            } else {
                throw new IllegalStateException("unknown command op " + op + " from node 0");
            }
        }
    }

    /** A registered window of this side: its memory and its offset. */
    private record Window(ScifMemory memory, long offset) {
    }

    private static Window window(ScifNode node, Endpoint ep, long size, List<ScifMemory> windows)
        throws ScifException {
        ScifMemory m = node.allocate(size);
        windows.add(m);
        return new Window(m, ep.register(m.buffer(), 0, Scif.PROT_READ | Scif.PROT_WRITE, 0));
    }

    /** Maps node 0's flag page at {@code peerOffset}, registers one of this side's, answers its offset. */
    private void mapFlags(ScifNode node, Endpoint ep, long peerOffset, List<ScifMemory> windows)
        throws ScifException {
        if (peerFlags != null) {
            throw new IllegalStateException("node 0 asked for the mapped flags twice");
        }
        Window own = window(node, ep, PeerProtocol.FLAG_PAGE, windows);
        ownFlags = own.memory().buffer().order(ByteOrder.nativeOrder());
        peerFlags = ep.mmap(peerOffset, PeerProtocol.FLAG_PAGE, Scif.PROT_READ | Scif.PROT_WRITE);
        answer(ep, own.offset());
    }

    private static void answer(Endpoint ep, long offset) throws ScifException {
        ByteBuffer answer = ByteBuffer.allocateDirect(PeerProtocol.OFFSET_BYTES)
            .order(ByteOrder.nativeOrder());
        answer.putLong(0, offset);
        ep.send(answer, Scif.SEND_BLOCK);
    }

    private static void echo(Endpoint ep, ByteBuffer message, long count) throws ScifException {
        for (long i = 0; i < count; i++) {
            message.clear();
            ep.recv(message, Scif.RECV_BLOCK);
            message.flip();
            ep.send(message, Scif.SEND_BLOCK);
        }
    }

    private static void stream(Endpoint ep, ByteBuffer message, long count) throws ScifException {
        for (long i = 0; i < count; i++) {
            message.clear();
            ep.send(message, Scif.SEND_BLOCK);
        }
    }
}
