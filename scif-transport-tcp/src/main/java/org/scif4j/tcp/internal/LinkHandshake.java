package org.scif4j.tcp.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.scif4j.tcp.TcpOptions;

/**
 * The handshake of one link, for its {@link LinkHandler}: the opener sends HELLO, the acceptor
 * answers HELLO_ACK, and with a fabric key each side proves it holds the key (the acceptor in
 * its HELLO_ACK, the opener in AUTH) over both sides' nonces. Checks what the peer says about
 * itself (magic, version, which node it is and is talking to, keyed or not) and records the
 * peer's node and incarnation on the link. Runs on the link's event loop, before any SCIF frame.
 */
final class LinkHandshake {
    private static final System.Logger LOG = System.getLogger("org.scif4j.tcp");

    private final LinkHandler handler;
    private final TcpNode node;
    private final Links links;
    private final Link link;
    private final TcpOptions options;
    /** The fabric key, or null for an unkeyed fabric. */
    private final FabricKey key;
    private final byte[] myNonce = FabricKey.nonce();
    private byte[] peerNonce;

    LinkHandshake(LinkHandler handler, TcpNode node, Links links, Link link, TcpOptions options, FabricKey key) {
        this.handler = handler;
        this.node = node;
        this.links = links;
        this.link = link;
        this.options = options;
        this.key = key;
    }

    /** Opener: the TCP connection is up; says HELLO. */
    void sendHello(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(hello(ctx, link.peerNode, null), ctx.voidPromise());
    }

    /** @return our HELLO to node {@code to}, or with {@code proof} our HELLO_ACK */
    private ByteBuf hello(ChannelHandlerContext ctx, int to, byte[] proof) {
        return HandshakeWire.hello(ctx.alloc(), node.selfId(), to, key != null ? HandshakeWire.FLAG_KEYED : 0,
            node.incarnation(), myNonce, proof);
    }

    /** Acceptor: checks the opener's HELLO and answers with ours and, keyed, our proof. */
    void onHello(ChannelHandlerContext ctx, ByteBuf f) {
        String wrong = checkHello(f, -1);
        if (wrong != null) {
            handler.violation(ctx, wrong);
            return;
        }
        if (key == null && !links.admit(link, this::admissionChanged)) {
            hold();
            return;
        }
        answerHello(ctx);
    }

    /**
     * Unkeyed, the node claimed is connected as another incarnation: nothing proves this
     * newcomer is that node come back rather than an impostor, so it waits, unanswered, for the
     * links of the one we know to close (a node that really died: its sockets closed or it went
     * silent for {@code liveness}); the handshake deadline refuses it otherwise.
     */
    private void hold() {
        handler.phase(LinkHandler.Phase.AWAIT_ADMISSION);
        LOG.log(System.Logger.Level.INFO, "scif4j tcp node {0}: holding {1}: it claims to be node {2} (incarnation"
            + " {3}), which is connected as another incarnation; answered once those links close, refused after"
            + " {4} ms", node.selfId(), link, link.peerNode, Long.toHexString(link.peerIncarnation),
            String.valueOf(options.handshakeMillis()));
    }

    /** Links learned that the node a held newcomer claims lost its links: answer it if it may open now. */
    private void admissionChanged() {
        if (handler.phase() == LinkHandler.Phase.AWAIT_ADMISSION && links.admit(link, this::admissionChanged)) {
            answerHello(handler.ctx());
        }
    }

    /** Acceptor: answers a HELLO we accepted with ours and, keyed, our proof. */
    private void answerHello(ChannelHandlerContext ctx) {
        byte[] proof = key == null ? new byte[HandshakeWire.PROOF_BYTES]
            : key.proof('S', link.peerNode, node.selfId(), peerNonce, myNonce);
        ctx.writeAndFlush(hello(ctx, link.peerNode, proof), ctx.voidPromise());
        if (key != null) {
            handler.phase(LinkHandler.Phase.AWAIT_AUTH);
        } else {
            handler.open();
        }
    }

    /** Opener: checks the acceptor's HELLO_ACK and proof, proves the key in turn. */
    void onHelloAck(ChannelHandlerContext ctx, ByteBuf f) {
        String wrong = checkHello(f, link.peerNode);
        if (wrong != null) {
            handler.violation(ctx, wrong);
            return;
        }
        byte[] proof = HandshakeWire.bytes(f, HandshakeWire.ACK_PROOF, HandshakeWire.PROOF_BYTES);
        if (key != null) {
            if (!FabricKey.matches(key.proof('S', node.selfId(), link.peerNode, myNonce, peerNonce), proof)) {
                handler.violation(ctx, "node " + link.peerNode + " does not prove it holds the fabric key");
                return;
            }
            ctx.writeAndFlush(HandshakeWire.auth(ctx.alloc(), key.proof('C', node.selfId(), link.peerNode, myNonce,
                peerNonce)), ctx.voidPromise());
        }
        handler.open();
    }

    /** Acceptor: checks the opener's AUTH proof, which ends a keyed handshake. */
    void onAuth(ChannelHandlerContext ctx, ByteBuf f) {
        byte[] proof = HandshakeWire.bytes(f, HandshakeWire.AUTH_PROOF, HandshakeWire.PROOF_BYTES);
        if (!FabricKey.matches(key.proof('C', link.peerNode, node.selfId(), peerNonce, myNonce), proof)) {
            handler.violation(ctx, "node " + link.peerNode + " does not prove it holds the fabric key");
            return;
        }
        handler.open();
    }

    /**
     * @param expectedFrom the node an outbound link was opened to, -1 when any fabric node may say hello
     * @return what is wrong with the HELLO, or null
     */
    private String checkHello(ByteBuf f, int expectedFrom) {
        int magic = HandshakeWire.magic(f);
        int version = HandshakeWire.version(f);
        int from = HandshakeWire.from(f);
        int to = HandshakeWire.to(f);
        int flags = HandshakeWire.flags(f);
        long incarnation = HandshakeWire.incarnation(f);
        peerNonce = HandshakeWire.bytes(f, HandshakeWire.NONCE, HandshakeWire.NONCE_BYTES);
        if (magic != HandshakeWire.MAGIC_VALUE) {
            return "a handshake with magic 0x" + Integer.toHexString(magic) + "; expected 0x"
                + Integer.toHexString(HandshakeWire.MAGIC_VALUE) + " (not a scif4j peer)";
        }
        if (version != HandshakeWire.VERSION_VALUE) {
            return "protocol version " + version + "; this node speaks " + HandshakeWire.VERSION_VALUE;
        }
        if (to != node.selfId()) {
            return "a handshake for node " + to + "; this is node " + node.selfId();
        }
        if (!options.nodes().containsKey(from) || (expectedFrom >= 0 && from != expectedFrom)) {
            return "a handshake from node " + from + "; expected " + (expectedFrom >= 0 ? "node " + expectedFrom
                : "one of " + options.nodes().keySet());
        }
        if (((flags & HandshakeWire.FLAG_KEYED) != 0) != (key != null)) {
            return key != null ? "a peer without the fabric key" : "a peer that requires a fabric key (option key=)";
        }
        link.peerNode = from;
        link.peerIncarnation = incarnation;
        return null;
    }
}
