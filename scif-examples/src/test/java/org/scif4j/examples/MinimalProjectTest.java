package org.scif4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Builds the README's minimal user project (src/it/minimal-project) with Maven as a user
 * would after {@code mvn install}, and runs it with a plain {@code java}: its pom, its JVM
 * flags for Surefire and for {@code java} must work.
 *
 * <p>The user's local repository is never written: the build gets a fresh local repository
 * under target/ that holds this checkout's scif4j artifacts (as {@code mvn install} would lay
 * them out), and reads everything else from the user's repository as a file mirror, so no
 * network is needed and stale scif4j artifacts there are never seen.
 */
class MinimalProjectTest {
    private static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();
    private static final Path IT = Path.of("target", "it").toAbsolutePath();

    @Test
    void theReadmesMinimalProjectBuildsTestsAndRuns() throws Exception {
        deleteTree(IT);
        Path repo = IT.resolve("repo");
        String v = System.getProperty("scif4j.version");
        install(repo, "scif4j-parent", v, CHECKOUT.resolve("pom.xml"), null);
        install(repo, "scif-bom", v, CHECKOUT.resolve("scif-bom/pom.xml"), null);
        install(repo, "scif-api", v, CHECKOUT.resolve("scif-api/pom.xml"), jarOf("scif-api", v));
        install(repo, "scif-transport-shm", v, CHECKOUT.resolve("scif-transport-shm/pom.xml"), jarOf("scif-transport-shm", v));
        Path settings = IT.resolve("settings.xml");
        Files.writeString(settings, "<settings><mirrors><mirror><id>user-m2</id><mirrorOf>*</mirrorOf><url>"
            + Path.of(System.getProperty("scif4j.m2")).toUri() + "</url></mirror></mirrors></settings>\n");
        String readme = Files.readString(CHECKOUT.resolve("README.md"));
        String pom = Files.readString(Path.of("src", "it", "minimal-project", "pom.xml"));
        assertTrue(readme.contains("```xml\n" + pom + "```"), "the README shows the minimal project's pom.xml as it is");
        Path project = IT.resolve("minimal-project");
        copyTree(Path.of("src", "it", "minimal-project"), project);

        List<String> mvn = List.of("mvn", "-B", "-q", "-s", settings.toString(), "-Dmaven.repo.local=" + repo);
        // package runs the project's own JUnit test, which attaches an shm fabric: Surefire's argLine works
        run(project, concat(mvn, "package", "dependency:build-classpath", "-Dmdep.outputFile=cp.txt"));
        assertTrue(Files.exists(project.resolve("target/surefire-reports/TEST-demo.HelloTest.xml")), "the project's test ran");
        // the plain java command of the README, flags from the project's .mvn/jvm.config
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        java.addAll(List.of(Files.readString(project.resolve(".mvn/jvm.config")).trim().split("\\s+")));
        java.addAll(List.of("-cp", "target/classes:" + Files.readString(project.resolve("cp.txt")).trim(), "demo.Hello",
            "shm:hello-it?dir=" + IT.resolve("fabrics") + "&node="));
        String out = run(project, java);
        assertTrue(out.contains("hello from node 1"), out);
    }

    /** Lays out one artifact as {@code mvn install} would. */
    private static void install(Path repo, String artifact, String version, Path pom, Path jar) throws IOException {
        Path dir = repo.resolve("org/scif4j").resolve(artifact).resolve(version);
        Files.createDirectories(dir);
        Files.copy(pom, dir.resolve(artifact + "-" + version + ".pom"));
        if (jar != null) {
            Files.copy(jar, dir.resolve(artifact + "-" + version + ".jar"));
        }
    }

    /** The module's jar when the reactor packaged it, else a jar made here of its classes. */
    private static Path jarOf(String module, String version) throws IOException {
        Path target = CHECKOUT.resolve(module).resolve("target");
        Path jar = target.resolve(module + "-" + version + ".jar");
        if (Files.exists(jar)) {
            return jar;
        }
        Path classes = target.resolve("classes");
        Path made = IT.resolve(module + ".jar");
        Files.createDirectories(IT);
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(made));
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                zip.putNextEntry(new ZipEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, zip);
                zip.closeEntry();
            }
        }
        return made;
    }

    /** Runs a command in {@code dir}, fails unless it exits 0 within 5 minutes, returns its output. */
    private static String run(Path dir, List<String> command) throws Exception {
        Path log = Files.createTempFile(IT, "run-", ".log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        boolean ended = p.waitFor(5, TimeUnit.MINUTES);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(ended, "still running after 5 minutes: " + command + "\n" + out);
        assertEquals(0, p.exitValue(), command + " failed:\n" + out);
        return out;
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(b));
        return all;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path f : all.toList()) {
                Path dest = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(f, dest);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (Files.exists(root)) {
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
