package org.scif4j.examples;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.scif4j.Endpoint;
import org.scif4j.Errno;
import org.scif4j.PollItem;
import org.scif4j.PortId;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * One thread serving many connections with {@code Scif.poll}, as a server does with
 * {@code poll(2)} over sockets.
 *
 * <p>The host's loop polls its listening endpoint for {@code POLLIN} (a connection waits to
 * be accepted, so {@code accept} will not block) and every accepted endpoint for
 * {@code POLLIN} (a request arrived) and {@code POLLHUP} (the client closed). Each of
 * {@link #CLIENTS} clients on the card connects, sends {@link #REQUESTS} numbers one at a
 * time, waits for each answer (the number times two), and closes. The loop ends when every
 * client has come and gone.
 *
 * <p>Run: {@code java ... org.scif4j.examples.PollLoop [HOST-URI CARD-URI]}, by default two
 * nodes of a fresh shm fabric. Works on tcp too.
 */
public final class PollLoop {
    /** Clients, each with its own connection. */
    public static final int CLIENTS = 16;
    /** Requests per client. */
    public static final int REQUESTS = 100;

    private PollLoop() {
    }

    /**
     * Runs the server on the host and the clients on the card, each attached as its own node.
     *
     * @param args none, or the host's and the card's fabric URI
     * @throws Exception if a SCIF call fails or an answer is wrong
     */
    public static void main(String[] args) throws Exception {
        String[] uris = Fabrics.hostAndCard(args, "poll-loop");
        try (ScifNode host = Scif.attach(uris[0]);
             ScifNode card = Scif.attach(uris[1]);
             Endpoint listener = host.open()) {
            listener.bind(0);
            listener.listen(CLIENTS);
            PortId hostPort = listener.localPort();
            AtomicLong sumOfAnswers = new AtomicLong();     // what the clients received, all together
            List<Side> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int id = c;
                clients.add(Side.start("client-" + c, () -> client(card, hostPort, id, sumOfAnswers)));
            }
            long served = serve(listener);
            for (Side client : clients) {
                client.join();
            }
            System.out.println("poll loop: one thread served " + CLIENTS + " connections, "
                + served + " requests; sum of the answers = " + sumOfAnswers.get());
        }
    }

    /** The server loop: accepts, answers and closes until all clients have hung up. */
    private static long serve(Endpoint listener) throws ScifException {
        List<Endpoint> conns = new ArrayList<>();
        ByteBuffer request = ByteBuffer.allocate(Long.BYTES);
        int accepted = 0;
        long served = 0;
        while (accepted < CLIENTS || !conns.isEmpty()) {
            // one PollItem per endpoint; rebuilt each turn since the set changes (fine for a few dozen)
            PollItem[] items = new PollItem[conns.size() + 1];
            items[0] = new PollItem(listener, Scif.POLLIN);
            for (int i = 0; i < conns.size(); i++) {
                items[i + 1] = new PollItem(conns.get(i), Scif.POLLIN);  // POLLHUP/POLLERR are always reported
            }
            if (Scif.poll(items, 10_000) == 0) {
                throw new ScifException(Errno.ETIMEDOUT, "no client did anything for 10 s");
            }
            if ((items[0].revents() & Scif.POLLIN) != 0) {
                conns.add(listener.accept(Scif.ACCEPT_SYNC));           // does not block: one is waiting
                accepted++;
            }
            for (int i = 1; i < items.length; i++) {
                Endpoint conn = items[i].endpoint();
                int revents = items[i].revents();
                if ((revents & Scif.POLLIN) != 0) {                     // a request: answer it
                    request.clear();
                    conn.recv(request, Scif.RECV_BLOCK);
                    conn.send(ByteBuffer.allocate(Long.BYTES).putLong(0, 2 * request.getLong(0)), Scif.SEND_BLOCK);
                    served++;
                } else if ((revents & (Scif.POLLHUP | Scif.POLLERR)) != 0) { // the client closed
                    conn.close();
                    conns.remove(conn);
                }
            }
        }
        return served;
    }

    /** A client: connects, sends its numbers one at a time, checks each answer, closes. */
    private static void client(ScifNode card, PortId host, int id, AtomicLong sumOfAnswers) throws ScifException {
        try (Endpoint ep = card.open()) {
            ep.connect(host);
            ByteBuffer answer = ByteBuffer.allocate(Long.BYTES);
            for (int r = 0; r < REQUESTS; r++) {
                long n = (long) id * REQUESTS + r;
                ep.send(ByteBuffer.allocate(Long.BYTES).putLong(0, n), Scif.SEND_BLOCK);
                answer.clear();
                ep.recv(answer, Scif.RECV_BLOCK);
                if (answer.getLong(0) != 2 * n) {
                    throw new IllegalStateException("client " + id + ": asked " + n + ", got " + answer.getLong(0));
                }
                sumOfAnswers.addAndGet(answer.getLong(0));
            }
        }
    }
}
