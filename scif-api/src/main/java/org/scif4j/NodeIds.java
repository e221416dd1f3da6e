package org.scif4j;

import java.util.Arrays;

/**
 * The result of {@code scif_get_nodeIDs}: this node's id and the ids of all online nodes,
 * ascending, self included.
 *
 * @param self   the id of the node the caller is attached as
 * @param online ids of the online nodes, ascending; includes {@code self}
 */
public record NodeIds(int self, int[] online) {
    /** Copies {@code online} so the record stays immutable. */
    public NodeIds {
        online = online.clone();
    }

    /** @return a copy of the online node ids, ascending */
    @Override
    public int[] online() {
        return online.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeIds n && n.self == self && Arrays.equals(n.online, online);
    }

    @Override
    public int hashCode() {
        return 31 * self + Arrays.hashCode(online);
    }

    @Override
    public String toString() {
        return "NodeIds[self=" + self + ", online=" + Arrays.toString(online) + "]";
    }
}
