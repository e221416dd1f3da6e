import java.nio.ByteBuffer;
import org.scif4j.Endpoint;
import org.scif4j.Scif;
import org.scif4j.ScifException;
import org.scif4j.ScifNode;

/**
 * The Java half of libscif's C-to-Java round trip (bench-roundtrip.sh): a Java shm node that
 * accepts one connection on PORT and echoes 8-byte messages until the peer closes, as
 * {@code scif-peer pong} does in C. Run as a single-file program:
 * {@code java -cp scif-bench/target/scif-bench-*-all.jar libscif/tools/ScifPong.java URI PORT}.
 */
public final class ScifPong {
    private ScifPong() {
    }

    /** @param args the fabric URI (node 0) and the port */
    public static void main(String[] args) throws Exception {
        try (ScifNode node = Scif.attach(args[0]); Endpoint l = node.open()) {
            l.bind(Integer.parseInt(args[1]));
            l.listen(1);
            System.out.println("listening " + args[1]);
            System.out.flush();
            try (Endpoint e = l.accept(Scif.ACCEPT_SYNC)) {
                ByteBuffer m = ByteBuffer.allocateDirect(8);
                while (true) {
                    m.clear();
                    while (m.hasRemaining()) {
                        e.recv(m, Scif.RECV_BLOCK);
                    }
                    m.flip();
                    while (m.hasRemaining()) {
                        e.send(m, Scif.SEND_BLOCK);
                    }
                }
            } catch (ScifException gone) {
                // the C peer closed: done
            }
        }
    }
}
