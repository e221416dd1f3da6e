package org.scif4j.shm;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.scif4j.shm.internal.Fabric;

/**
 * Removes shm fabrics that nobody uses any more, for {@code ./scif clean}: a fabric whose every
 * process was killed (kill -9, a crash) stays in {@code /dev/shm} until some process attaches
 * under the same root again; this removes it now. A fabric with a live process is never touched.
 */
public final class ShmFabrics {
    /** What became of one directory under the root. */
    public enum Outcome {
        /** Every process of the fabric had died: its files and directory are removed. */
        REMOVED,
        /** No fabric file, only what a process ended mid-attach or mid-detach left: removed. */
        REMNANTS_REMOVED,
        /** A live process uses it: left as it is. */
        LIVE,
        /** Not an shm fabric of this user (another version, a foreign file, a link): left. */
        NOT_A_FABRIC,
        /** No such directory. */
        MISSING,
        /** Every process had died, but reclaiming the fabric failed (the detail says why): left. */
        FAILED,
    }

    /**
     * One directory's outcome.
     *
     * @param name    the fabric's name (its directory's name)
     * @param outcome what was done
     * @param detail  the live pids, or why it is not a fabric or was not reclaimed; empty otherwise
     */
    public record Cleaned(String name, Outcome outcome, String detail) {
    }

    private ShmFabrics() {
    }

    /**
     * Cleans the named fabrics, or every directory under {@code root} when {@code names} is
     * empty.
     *
     * @param root  the fabrics' root, e.g. {@value ShmOptions#DEFAULT_DIR}
     * @param names fabric names; empty for all
     * @return one entry per fabric looked at, in name order
     * @throws IOException when the root cannot be listed
     */
    public static List<Cleaned> clean(Path root, List<String> names) throws IOException {
        List<String> todo = new ArrayList<>(names);
        if (todo.isEmpty() && Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
                for (Path p : ds) {
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        todo.add(p.getFileName().toString());
                    }
                }
            }
            todo.sort(null);
        }
        List<Cleaned> out = new ArrayList<>();
        for (String name : todo) {
            out.add(cleanOne(root, name));
        }
        return out;
    }

    private static Cleaned cleanOne(Path root, String name) {
        Path d = root.resolve(name);
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            return new Cleaned(name, Outcome.NOT_A_FABRIC, "not a fabric name");
        }
        if (!Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
            return new Cleaned(name, Outcome.MISSING, "");
        }
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            return new Cleaned(name, Outcome.NOT_A_FABRIC, "not a directory");
        }
        if (!Files.exists(d.resolve("fabric"), LinkOption.NOFOLLOW_LINKS)) {
            return Fabric.removeRemnantsOf(d) ? new Cleaned(name, Outcome.REMNANTS_REMOVED, "")
                : new Cleaned(name, Outcome.NOT_A_FABRIC, "no fabric file, and files of live processes or others");
        }
        ShmFabricInspector.Snapshot s;
        try {
            s = ShmFabricInspector.read(d);
        } catch (IOException e) {
            return new Cleaned(name, Outcome.NOT_A_FABRIC, e.getMessage());
        }
        List<String> live = new ArrayList<>();
        for (ShmFabricInspector.ProcessInfo p : s.processes()) {
            if (p.alive()) {
                live.add(Integer.toString(p.pid()));
            }
        }
        if (!live.isEmpty()) {
            return new Cleaned(name, Outcome.LIVE, "pid " + String.join(", ", live));
        }
        // A process may attach between the snapshot and here: reclaiming re-checks under the
        // fabric's lock, and leaves a fabric that gained a live process alone.
        String left = Fabric.reclaim(d);
        if (left == null) {
            return new Cleaned(name, Outcome.REMOVED, "");
        }
        return new Cleaned(name, left.startsWith("reclaiming it failed") ? Outcome.FAILED : Outcome.LIVE, left);
    }
}
