package demo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/** Two nodes of an shm fabric in one JVM: node 1 sends node 0 a greeting. */
public class Hello {
    /**
     * Prints the greeting node 0 received.
     *
     * @param args optional fabric URI prefix ending in "node=", default a fresh shm fabric
     */
    public static void main(String[] args) throws Exception {
        System.out.println(greet(args.length > 0 ? args[0] : "shm:hello-" + ProcessHandle.current().pid() + "?node="));
    }

    /**
     * Connects node 1 to node 0 of {@code fabric} and returns what node 0 received.
     *
     * @param fabric a fabric URI ending in "node=", e.g. {@code shm:hello?node=}
     * @return the greeting
     */
    public static String greet(String fabric) throws Exception {
        try (ScifNode host = Scif.attach(fabric + 0); ScifNode card = Scif.attach(fabric + 1)) {
            Endpoint listener = host.open();
            listener.bind(0);
            listener.listen(1);
            Endpoint client = card.open();
            byte[] hello = "hello from node 1".getBytes(StandardCharsets.UTF_8);
            Thread node1 = new Thread(() -> {                 // connect blocks until accepted
                try {
                    client.connect(listener.localPort());
                    client.send(ByteBuffer.wrap(hello), Scif.SEND_BLOCK);
                } catch (ScifException e) {
                    throw new IllegalStateException(e);
                }
            });
            node1.start();
            Endpoint server = listener.accept(Scif.ACCEPT_SYNC);
            ByteBuffer in = ByteBuffer.allocate(hello.length);
            server.recv(in, Scif.RECV_BLOCK);
            node1.join();
            return new String(in.array(), StandardCharsets.UTF_8);
        }
    }
}
