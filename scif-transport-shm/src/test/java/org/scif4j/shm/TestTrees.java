package org.scif4j.shm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Scratch fabric roots of the shm tests: each test makes its own under /dev/shm and removes it whole. */
public final class TestTrees {
    private TestTrees() {
    }

    /**
     * Removes {@code root} and everything below it, links as links (never their targets:
     * the hostile-file tests plant links to files outside the fabric).
     *
     * @param root the tree; nothing happens when it does not exist
     */
    public static void delete(Path root) throws IOException {
        if (Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
