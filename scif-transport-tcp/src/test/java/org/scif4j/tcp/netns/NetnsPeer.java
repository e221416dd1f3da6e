package org.scif4j.tcp.netns;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.scif4j.Endpoint;
import org.scif4j.NodeIds;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;
import org.scif4j.tests.process.PeerMain;

/**
 * The program each host of {@link NetnsMultiHostTest} runs inside its network namespace: it
 * attaches one node of a tcp fabric, prints {@code READY self=N}, and obeys numbered commands
 * read from stdin, {@code ID COMMAND ARGS...}, answering each with {@code ID OK key=value...} or
 * {@code ID ERR ERRNO message}. Work in the background reports with {@code EVENT ...} lines.
 * End of stdin (the parent ended or died) closes the node and ends the process.
 *
 * <p>Unlike {@link PeerMain}, which holds one connection, a host here holds one connection per
 * peer node, named by that node's id, because every pair of the three hosts talks at once.
 *
 * <p>Commands: {@code listen} (bind any port, listen, accept in the background forever, each
 * accepted connection replacing the one held for its node: {@code EVENT ACCEPTED node=N
 * port=P}); {@code connect NODE PORT}; {@code close NODE}; {@code send NODE TEXT}; {@code recv
 * NODE BYTES} (answers {@code text=}); {@code send-random NODE BYTES SEED}; {@code recv-crc NODE
 * BYTES}; {@code block-in-recv NODE BYTES} (a background blocking recv, answered once it blocks,
 * ending in {@code EVENT RECV node=N text=..} or {@code EVENT RECV-ERR node=N errno=E ..});
 * {@code nodeids}; and for RMA {@code expose NODE BYTES SEED}, {@code access NODE BYTES SEED
 * VALUE}, {@code await-signal NODE VALUE MILLIS} (see {@link #expose}, {@link #access},
 * {@link #awaitSignal}).
 */
public final class NetnsPeer {
    private static final VarHandle LONGS =
        MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
    /** How long {@code block-in-recv} waits for its thread to block before answering anyway. */
    private static final long BLOCK_WAIT_MILLIS = 5_000;
    private static final int PAGE = 4096;
    /** Pause between two looks at a polled condition: on 2 cores a busy spin would starve Netty. */
    private static final long POLL_NANOS = 100_000;

    private final ScifNode node;
    private final PrintStream out;
    /** The connection held with each peer node, by node id. */
    private final Map<Integer, Endpoint> conns = new ConcurrentHashMap<>();
    /** The window exposed to each peer node ({@code expose}), by node id. */
    private final Map<Integer, ByteBuffer> exposed = new ConcurrentHashMap<>();

    private NetnsPeer(ScifNode node, PrintStream out) {
        this.node = node;
        this.out = out;
    }

    /**
     * Runs the host.
     *
     * @param args the fabric URI of the node to attach
     */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true,
            StandardCharsets.UTF_8);
        if (args.length != 1) {
            out.println("ERR EINVAL usage: NetnsPeer FABRIC-URI");
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
        NetnsPeer peer = new NetnsPeer(node, out);
        // Commands run on one worker in order, so that stdin stays read while a command blocks:
        // end of stdin must end this process even when a recv never returns.
        BlockingQueue<String> commands = new LinkedBlockingQueue<>();
        Thread worker = new Thread(() -> peer.work(commands), "netns-peer-worker");
        worker.setDaemon(true);
        worker.start();
        peer.line("READY self=" + node.selfId());
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String l = in.readLine(); l != null; l = in.readLine()) {
                if (!l.isBlank()) {
                    commands.add(l.trim());
                }
            }
        } catch (IOException e) {
            e.printStackTrace();
        }
        node.close();
        System.exit(0);
    }

    private void work(BlockingQueue<String> commands) {
        while (true) {
            String command;
            try {
                command = commands.take();
            } catch (InterruptedException e) {
                return;
            }
            String[] words = command.split("\\s+");
            String id = words[0];
            String answer;
            try {
                answer = execute(Arrays.copyOfRange(words, 1, words.length));
            } catch (ScifException e) {
                answer = "ERR " + e.errno() + " " + e.getMessage();
            } catch (RuntimeException e) {
                e.printStackTrace();
                answer = "ERR EINVAL " + e;
            }
            line(id + " " + answer);
        }
    }

    private synchronized void line(String text) {
        out.println(text);
        out.flush();
    }

    private String execute(String[] cmd) throws ScifException {
        switch (cmd[0]) {
            case "listen": {
                Endpoint l = node.open();
                int port = l.bind(0);
                l.listen(16);
                background("accept", () -> {
                    while (true) {
                        Endpoint c = l.accept(Scif.ACCEPT_SYNC);
                        replace(c.peerPort().node(), c);
                        line("EVENT ACCEPTED node=" + c.peerPort().node() + " port="
                            + c.peerPort().port());
                    }
                });
                return "OK port=" + port;
            }
            case "connect": {
                int peer = Integer.parseInt(cmd[1]);
                Endpoint c = node.open();
                try {
                    int port = c.connect(new PortId(peer, Integer.parseInt(cmd[2])));
                    replace(peer, c);
                    return "OK port=" + port;
                } catch (ScifException e) {
                    c.close();
                    throw e;
                }
            }
            case "close": {
                Endpoint c = conns.remove(Integer.parseInt(cmd[1]));
                if (c != null) {
                    c.close();
                }
                return "OK";
            }
            case "send": {
                byte[] text = cmd[2].getBytes(StandardCharsets.UTF_8);
                return "OK sent=" + conn(cmd[1]).send(ByteBuffer.wrap(text), Scif.SEND_BLOCK);
            }
            case "recv": {
                ByteBuffer dst = ByteBuffer.allocate(Integer.parseInt(cmd[2]));
                int n = conn(cmd[1]).recv(dst, Scif.RECV_BLOCK);
                return "OK n=" + n + " text=" + new String(dst.array(), 0, n, StandardCharsets.UTF_8);
            }
            case "send-random": {
                int bytes = Integer.parseInt(cmd[2]);
                byte[] data = PeerMain.randomBytes(Long.parseLong(cmd[3]), bytes);
                int n = conn(cmd[1]).send(ByteBuffer.wrap(data), Scif.SEND_BLOCK);
                return "OK sent=" + n + " crc=" + PeerMain.crc(data, n);
            }
            case "recv-crc": {
                ByteBuffer dst = ByteBuffer.allocate(Integer.parseInt(cmd[2]));
                int n = conn(cmd[1]).recv(dst, Scif.RECV_BLOCK);
                return "OK n=" + n + " crc=" + PeerMain.crc(dst.array(), n);
            }
            case "block-in-recv":
                return blockInRecv(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]));
            case "nodeids": {
                NodeIds ids = node.nodeIds();
                return "OK self=" + ids.self() + " online=" + Arrays.stream(ids.online())
                    .mapToObj(Integer::toString).collect(Collectors.joining(","));
            }
            case "expose":
                return expose(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]),
                    Long.parseLong(cmd[3]));
            case "access":
                return access(Integer.parseInt(cmd[1]), Integer.parseInt(cmd[2]),
                    Long.parseLong(cmd[3]), Long.parseLong(cmd[4]));
            case "await-signal":
                return awaitSignal(Integer.parseInt(cmd[1]), Long.parseLong(cmd[2]),
                    Long.parseLong(cmd[3]));
            default:
                return "ERR EINVAL unknown command " + String.join(" ", cmd);
        }
    }

    /** Holds {@code c} as the connection with {@code peer}; the one it replaces is closed. */
    private void replace(int peer, Endpoint c) {
        Endpoint old = conns.put(peer, c);
        if (old != null && old != c) {
            old.close();
        }
    }

    private Endpoint conn(String peer) {
        Endpoint c = conns.get(Integer.parseInt(peer));
        if (c == null) {
            throw new IllegalStateException("no connection with node " + peer);
        }
        return c;
    }

    /**
     * Starts a blocking recv of {@code bytes} on the connection with {@code peer} in the
     * background and answers once its thread waits inside the transport, so that the parent
     * acts on a call that really blocks, not on one still on its way in.
     */
    private String blockInRecv(int peer, int bytes) {
        Endpoint c = conn(Integer.toString(peer));
        Thread t = background("recv-" + peer, () -> {
            ByteBuffer dst = ByteBuffer.allocate(bytes);
            try {
                int n = c.recv(dst, Scif.RECV_BLOCK);
                line("EVENT RECV node=" + peer + " n=" + n + " text="
                    + new String(dst.array(), 0, n, StandardCharsets.UTF_8));
            } catch (ScifException e) {
                line("EVENT RECV-ERR node=" + peer + " errno=" + e.errno() + " " + e.getMessage());
            }
        });
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BLOCK_WAIT_MILLIS);
        while (System.nanoTime() < deadline) {
            Thread.State s = t.getState();
            if (s == Thread.State.TERMINATED) {
                return "OK blocked=false";
            }
            if ((s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) && inTransport(t)) {
                return "OK blocked=true";
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return "OK blocked=false";
    }

    private static boolean inTransport(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().startsWith("org.scif4j.tcp.")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The owner's side of an RMA exchange with {@code peer}: registers a window of
     * {@code 2 * bytes + PAGE} (first half zero, for the peer's writeTo; second half
     * {@code randomBytes(seed + 1)}, for its readFrom; then an 8-byte signal word at
     * {@code 2 * bytes}, zero) and sends its offset to the peer as 8 big-endian bytes.
     */
    private String expose(int peer, int bytes, long seed) throws ScifException {
        Endpoint c = conn(Integer.toString(peer));
        ByteBuffer mem = node.allocate(2L * bytes + PAGE).buffer();
        mem.put(bytes, PeerMain.randomBytes(seed + 1, bytes));
        long offset = c.register(mem, 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
        exposed.put(peer, mem);
        c.send(ByteBuffer.allocate(8).putLong(0, offset), Scif.SEND_BLOCK);
        return "OK offset=" + offset;
    }

    /**
     * The accessor's side: receives the owner's window offset, writes {@code randomBytes(seed)}
     * into its first half and reads its second half back (both RMA_SYNC), fences, then has the
     * owner's signal word set to {@code value} once those RMAs are complete
     * (FENCE_INIT_SELF | SIGNAL_REMOTE). Answers the CRC of what it read.
     */
    private String access(int peer, int bytes, long seed, long value) throws ScifException {
        Endpoint c = conn(Integer.toString(peer));
        ByteBuffer off = ByteBuffer.allocate(8);
        c.recv(off, Scif.RECV_BLOCK);
        long remote = off.getLong(0);
        ByteBuffer mem = node.allocate(2L * bytes + PAGE).buffer();
        mem.put(0, PeerMain.randomBytes(seed, bytes));
        long local = c.register(mem, 0, Scif.PROT_READ | Scif.PROT_WRITE, 0);
        c.writeTo(local, bytes, remote, Scif.RMA_SYNC);
        c.readFrom(local + bytes, bytes, remote + bytes, Scif.RMA_SYNC);
        // RMA_SYNC already waited; the fence checks that marking and waiting also work here.
        c.fenceWait(c.fenceMark(Scif.FENCE_INIT_SELF));
        c.fenceSignal(local + 2L * bytes, 0, remote + 2L * bytes, value,
            Scif.FENCE_INIT_SELF | Scif.SIGNAL_REMOTE);
        byte[] read = new byte[bytes];
        mem.get(bytes, read);
        return "OK remote=" + remote + " read=" + PeerMain.crc(read, bytes);
    }

    /**
     * The owner waits, up to {@code millis}, for the signal word of the window exposed to
     * {@code peer} to become {@code value} (the peer's fenceSignal; there is no call to block
     * on, so the word itself is polled), then answers the CRC of the window's first half.
     */
    private String awaitSignal(int peer, long value, long millis) {
        ByteBuffer mem = exposed.get(peer);
        if (mem == null) {
            throw new IllegalStateException("no window exposed to node " + peer);
        }
        int bytes = (mem.capacity() - PAGE) / 2;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long seen = (long) LONGS.getVolatile(mem, 2 * bytes);
        while (seen != value && System.nanoTime() < deadline) {
            LockSupport.parkNanos(POLL_NANOS);
            seen = (long) LONGS.getVolatile(mem, 2 * bytes);
        }
        byte[] data = new byte[bytes];
        mem.get(0, data);
        String result = " signal=" + seen + " crc=" + PeerMain.crc(data, bytes);
        return seen == value ? "OK" + result
            : "ERR ETIMEDOUT no signal within " + millis + " ms:" + result;
    }

    /** A task of a background thread. */
    private interface Task {
        void run() throws ScifException;
    }

    private Thread background(String name, Task task) {
        Thread t = new Thread(() -> {
            try {
                task.run();
            } catch (ScifException e) {
                line("EVENT " + name.toUpperCase(Locale.ROOT) + "-ERR errno=" + e.errno() + " "
                    + e.getMessage());
            }
        }, "netns-peer-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
