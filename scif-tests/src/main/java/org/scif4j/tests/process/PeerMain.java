package org.scif4j.tests.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import org.scif4j.Endpoint;
import org.scif4j.Mapping;
import org.scif4j.NodeIds;
import org.scif4j.PollItem;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * The program a {@link PeerProcess} runs: attaches one node of a fabric, prints
 * {@code READY self=N}, then obeys commands read line by line from stdin and answers each with
 * one line, {@code OK key=value...} or {@code ERR ERRNO message}. Work that goes on in the
 * background reports with {@code EVENT ...} lines. End of stdin, like {@code exit}, closes the
 * node and ends the process.
 *
 * <p>Commands (named scenarios): {@code bind P}; {@code listen P BACKLOG}; {@code accept};
 * {@code accept-async}; {@code connect NODE PORT}; {@code echo-server P} (accepts forever and
 * echoes every connection); {@code sink P} (accepts every connection and never reads or writes);
 * {@code stream NODE PORT BYTES SEED} (connect-and-stream pseudo-random bytes, then report the
 * CRC32); {@code send BYTES SEED}; {@code recv BYTES}; {@code block-in-recv} (a background
 * blocking recv whose end is reported as an event); {@code close}; {@code nodeids};
 * {@code exit}.
 *
 * <p>Registered memory, RMA and mmap on the current connection: {@code reg BYTES PROT SEED
 * [direct]} (allocates, or with {@code direct} takes a page-aligned direct buffer, fills it with
 * pseudo-random bytes, registers it at an automatic offset: {@code OK offset=.. crc=..});
 * {@code reg-send BYTES PROT SEED [direct]} (the same, then sends the offset as 8 big-endian
 * bytes); {@code window-crc OFFSET BYTES} (CRC32 of a window's first bytes); {@code writeto
 * LOFF BYTES ROFF FLAGS} and {@code readfrom LOFF BYTES ROFF FLAGS} (then a fence unless
 * RMA_SYNC);
 * {@code writeto-loop LOFF BYTES ROFF} (a background loop of asynchronous writeTo and fences,
 * reporting {@code EVENT LOOP n=1} after its first round and its end as an event);
 * {@code mmap ROFF BYTES PROT}; {@code mmap-fill SEED}; {@code mmap-crc}; {@code mmap-cas INDEX
 * TIMES} (CAS-increments the 64-bit word at INDEX of the mapping); {@code munmap};
 * {@code offload-card NODE PORT} (the card side of
 * {@link org.scif4j.tests.examples.OffloadExample}).
 *
 * <p>Partnering libscif's C program {@code scif-peer} ({@link CPeerProtocol}) on the current
 * connection: {@code c-stream-out BYTES} and {@code c-stream-in BYTES} (its checksummed pattern),
 * {@code c-rma} (the answering side of {@code scif-peer rma}).
 */
public final class PeerMain {
    private static final java.lang.invoke.VarHandle LONGS = java.lang.invoke.MethodHandles
        .byteBufferViewVarHandle(long[].class, java.nio.ByteOrder.nativeOrder());
    private final ScifNode node;
    private final PrintStream out;
    private volatile Endpoint listener;
    private volatile Endpoint conn;
    private final java.util.List<Endpoint> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Map<Long, ByteBuffer> windows = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Mapping mapping;

    private PeerMain(ScifNode node, PrintStream out) {
        this.node = node;
        this.out = out;
    }

    /**
     * Runs the peer.
     *
     * @param args the fabric URI of the node to attach
     */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out),
            true, StandardCharsets.UTF_8);
        if (args.length != 1) {
            out.println("ERR EINVAL usage: PeerMain FABRIC-URI");
            System.exit(2);
        }
        ScifNode node;
        try {
            node = Scif.attach(args[0]);
        } catch (ScifException e) {
            out.println("ERR " + e.errno() + " " + e.getMessage());
            System.exit(1);
            return;
        }
        PeerMain peer = new PeerMain(node, out);
        peer.line("READY self=" + node.selfId());
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String command;
            while ((command = in.readLine()) != null) {
                if (command.isBlank()) {
                    continue;
                }
                if (command.trim().equals("exit")) {
                    break;
                }
                peer.line(peer.execute(command.trim().split("\\s+")));
            }
        } catch (IOException e) {
            e.printStackTrace();
        }
        node.close();
        peer.line("OK bye");
        System.exit(0);
    }

    private synchronized void line(String text) {
        out.println(text);
        out.flush();
    }

    private String execute(String[] cmd) {
        try {
            switch (cmd[0]) {
                case "bind": {
                    Endpoint ep = node.open();
                    return "OK port=" + ep.bind(Integer.parseInt(cmd[1]));
                }
                case "listen": {
                    Endpoint ep = node.open();
                    int port = ep.bind(Integer.parseInt(cmd[1]));
                    ep.listen(Integer.parseInt(cmd[2]));
                    listener = ep;
                    return "OK port=" + port;
                }
                case "accept": {
                    conn = listener.accept(Scif.ACCEPT_SYNC);
                    return "OK peer=" + conn.peerPort() + " port=" + conn.localPort().port();
                }
                case "accept-async": {
                    background("accept", () -> {
                        conn = listener.accept(Scif.ACCEPT_SYNC);
                        line("EVENT ACCEPTED peer=" + conn.peerPort());
                    });
                    return "OK";
                }
                case "connect": {
                    Endpoint ep = node.open();
                    int port = ep.connect(new PortId(Integer.parseInt(cmd[1]),
                        Integer.parseInt(cmd[2])));
                    conn = ep;
                    return "OK port=" + port;
                }
                case "echo-server":
                    return echoServer(Integer.parseInt(cmd[1]));
                case "sink": {
                    Endpoint ep = node.open();
                    int port = ep.bind(Integer.parseInt(cmd[1]));
                    ep.listen(16);
                    listener = ep;
                    background("sink", () -> {
                        while (true) {
                            Endpoint c = ep.accept(Scif.ACCEPT_SYNC);
                            held.add(c);
                            line("EVENT ACCEPTED peer=" + c.peerPort());
                        }
                    });
                    return "OK port=" + port;
                }
                case "stream": {
                    String ok = execute(new String[] {"connect", cmd[1], cmd[2]});
                    if (!ok.startsWith("OK")) {
                        return ok;
                    }
                    return ok + " " + send(Integer.parseInt(cmd[3]), Long.parseLong(cmd[4]))
                        .substring(3);
                }
                case "send":
                    return send(Integer.parseInt(cmd[1]), Long.parseLong(cmd[2]));
                case "recv": {
                    ByteBuffer dst = ByteBuffer.allocate(Integer.parseInt(cmd[1]));
                    int n = conn.recv(dst, Scif.RECV_BLOCK);
                    return "OK n=" + n + " crc=" + crc(dst.array(), n);
                }
                case "block-in-recv": {
                    Endpoint ep = conn;
                    background("recv", () -> {
                        ByteBuffer dst = ByteBuffer.allocate(1);
                        try {
                            int n = ep.recv(dst, Scif.RECV_BLOCK);
                            line("EVENT RECV n=" + n);
                        } catch (ScifException e) {
                            line("EVENT RECV-ERR " + e.errno() + " " + e.getMessage());
                        }
                    });
                    return "OK";
                }
                case "close":
                    conn.close();
                    return "OK";
                case "reg":
                case "reg-send": {
                    int bytes = Integer.parseInt(cmd[1]);
                    ByteBuffer mem = cmd.length > 4 && cmd[4].equals("direct")
                        ? ByteBuffer.allocateDirect(bytes + 4096).alignedSlice(4096).slice(0, bytes)
                        : node.allocate(bytes).buffer();
                    byte[] data = randomBytes(Long.parseLong(cmd[3]), bytes);
                    mem.put(0, data);
                    long offset = conn.register(mem, 0, Integer.parseInt(cmd[2]), 0);
                    windows.put(offset, mem);
                    if (cmd[0].equals("reg-send")) {
                        conn.send(ByteBuffer.allocate(8).putLong(0, offset), Scif.SEND_BLOCK);
                    }
                    return "OK offset=" + offset + " crc=" + crc(data, bytes);
                }
                case "window-crc": {
                    ByteBuffer mem = windows.get(Long.parseLong(cmd[1]));
                    byte[] data = new byte[Integer.parseInt(cmd[2])];
                    mem.get(0, data);
                    return "OK crc=" + crc(data, data.length);
                }
                case "writeto":
                case "readfrom": {
                    long loff = Long.parseLong(cmd[1]);
                    long bytes = Long.parseLong(cmd[2]);
                    long roff = Long.parseLong(cmd[3]);
                    int flags = Integer.parseInt(cmd[4]);
                    if (cmd[0].equals("writeto")) {
                        conn.writeTo(loff, bytes, roff, flags);
                    } else {
                        conn.readFrom(loff, bytes, roff, flags);
                    }
                    if ((flags & Scif.RMA_SYNC) == 0) {
                        conn.fenceWait(conn.fenceMark(Scif.FENCE_INIT_SELF));
                    }
                    return "OK";
                }
                case "writeto-loop": {
                    Endpoint ep = conn;
                    long loff = Long.parseLong(cmd[1]);
                    long bytes = Long.parseLong(cmd[2]);
                    long roff = Long.parseLong(cmd[3]);
                    background("loop", () -> {
                        for (long n = 1; ; n++) {
                            ep.writeTo(loff, bytes, roff, 0);
                            ep.fenceWait(ep.fenceMark(Scif.FENCE_INIT_SELF));
                            if (n == 1) {
                                line("EVENT LOOP n=1");
                            }
                        }
                    });
                    return "OK";
                }
                case "mmap": {
                    mapping = conn.mmap(Long.parseLong(cmd[1]), Long.parseLong(cmd[2]),
                        Integer.parseInt(cmd[3]));
                    return "OK length=" + mapping.length();
                }
                case "mmap-fill": {
                    ByteBuffer b = mapping.buffer();
                    byte[] data = randomBytes(Long.parseLong(cmd[1]), b.capacity());
                    b.put(0, data);
                    return "OK crc=" + crc(data, data.length);
                }
                case "mmap-crc": {
                    ByteBuffer b = mapping.buffer();
                    byte[] data = new byte[b.capacity()];
                    b.get(0, data);
                    return "OK crc=" + crc(data, data.length);
                }
                case "mmap-cas": {
                    ByteBuffer b = mapping.buffer();
                    int index = Integer.parseInt(cmd[1]);
                    int times = Integer.parseInt(cmd[2]);
                    for (int i = 0; i < times; i++) {
                        long v;
                        do {
                            v = (long) LONGS.getVolatile(b, index);
                        } while (!LONGS.compareAndSet(b, index, v, v + 1));
                    }
                    return "OK n=" + times;
                }
                case "munmap":
                    mapping.close();
                    return "OK";
                case "offload-card":
                    org.scif4j.tests.examples.OffloadExample.card(node,
                        new PortId(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2])));
                    return "OK";
                case "c-stream-out":
                    CPeerProtocol.streamOut(conn, Long.parseLong(cmd[1]));
                    return "OK";
                case "c-stream-in":
                    CPeerProtocol.streamIn(conn, Long.parseLong(cmd[1]));
                    return "OK";
                case "c-rma":
                    CPeerProtocol.answerRma(node, conn);
                    return "OK";
                case "nodeids": {
                    NodeIds ids = node.nodeIds();
                    return "OK self=" + ids.self() + " online=" + Arrays.stream(ids.online())
                        .mapToObj(Integer::toString).collect(Collectors.joining(","));
                }
                default:
                    return "ERR EINVAL unknown command " + String.join(" ", cmd);
            }
        } catch (ScifException e) {
            return "ERR " + e.errno() + " " + e.getMessage();
        } catch (RuntimeException e) {
            return "ERR EINVAL " + e;
        }
    }

    private String send(int bytes, long seed) throws ScifException {
        byte[] data = randomBytes(seed, bytes);
        int n = conn.send(ByteBuffer.wrap(data), Scif.SEND_BLOCK);
        return "OK sent=" + n + " crc=" + crc(data, n);
    }

    private String echoServer(int port) throws ScifException {
        Endpoint ep = node.open();
        int bound = ep.bind(port);
        ep.listen(16);
        listener = ep;
        background("echo-accept", () -> {
            while (true) {
                Endpoint c = ep.accept(Scif.ACCEPT_SYNC);
                background("echo", () -> echo(c));
            }
        });
        return "OK port=" + bound;
    }

    /** Echoes until the peer goes away; then closes the endpoint. */
    private static void echo(Endpoint c) throws ScifException {
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        PollItem[] items = {new PollItem(c, Scif.POLLIN)};
        try {
            while (true) {
                Scif.poll(items, -1);
                buf.clear();
                int n = c.recv(buf, 0);
                if (n == 0 && (items[0].revents() & (Scif.POLLHUP | Scif.POLLERR)) != 0) {
                    return;
                }
                buf.flip();
                c.send(buf, Scif.SEND_BLOCK);
            }
        } finally {
            c.close();
        }
    }

    /** A task of a background thread. */
    private interface Task {
        void run() throws ScifException;
    }

    private void background(String name, Task task) {
        Thread t = new Thread(() -> {
            try {
                task.run();
            } catch (ScifException e) {
                line("EVENT " + name.toUpperCase(java.util.Locale.ROOT) + "-ERR " + e.errno()
                    + " " + e.getMessage());
            }
        }, "peer-" + name);
        t.setDaemon(true);
        t.start();
    }

    /**
     * The pseudo-random bytes both sides of a stream agree on.
     *
     * @param seed  the seed
     * @param bytes how many
     * @return the bytes
     */
    public static byte[] randomBytes(long seed, int bytes) {
        byte[] data = new byte[bytes];
        new SplittableRandom(seed).nextBytes(data);
        return data;
    }

    /**
     * CRC32 of a prefix of an array.
     *
     * @param data the bytes
     * @param n    how many of them
     * @return the checksum
     */
    public static long crc(byte[] data, int n) {
        CRC32 crc = new CRC32();
        crc.update(data, 0, n);
        return crc.getValue();
    }
}
