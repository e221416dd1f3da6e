package org.scif4j.examples;

/**
 * The fabric URIs an example runs on: the two given on its command line, else two nodes of a
 * fresh shm fabric named after the example and this process, so that runs never share a
 * fabric.
 */
public final class Fabrics {
    private Fabrics() {
    }

    /**
     * The host's and the card's node URIs.
     *
     * @param args    the example's arguments: none, or the host's URI then the card's
     * @param example the example's name, part of the default fabric name
     * @return {host URI, card URI}
     * @throws IllegalArgumentException if {@code args} holds one URI or more than two
     */
    public static String[] hostAndCard(String[] args, String example) {
        if (args.length == 2) {
            return args.clone();
        }
        if (args.length != 0) {
            throw new IllegalArgumentException("expected no arguments or two fabric URIs (host, card), got "
                + args.length + " arguments");
        }
        // e.g. shm:messaging-12345?node=0 under /dev/shm/scif4j; removed when both nodes close
        String fabric = "shm:" + example + "-" + ProcessHandle.current().pid();
        return new String[] {fabric + "?node=0", fabric + "?node=1"};
    }
}
