package org.scif4j.tests.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scif4j.Scif;

/**
 * A modular application ({@code module-info.java} with {@code requires org.scif4j}) attaches an
 * shm fabric and moves bytes: the API is the named module {@code org.scif4j} on the module path,
 * and the transport, found by {@link java.util.ServiceLoader} through the API's {@code uses},
 * runs from the class path with its dependencies ({@code --add-modules ALL-DEFAULT}, as the
 * README says).
 */
class ModularApplicationTest {
    private static final String MODULE_INFO = """
        module scif4j.demo {
            requires org.scif4j;
        }
        """;
    private static final String MAIN = """
        package demo;

        import java.nio.ByteBuffer;
        import org.scif4j.*;

        public class Main {
            public static void main(String[] args) throws Exception {
                String fabric = "shm:" + args[0] + "?dir=" + args[1] + "&node=";
                try (ScifNode host = Scif.attach(fabric + "0"); ScifNode card = Scif.attach(fabric + "1")) {
                    Endpoint listener = host.open();
                    int port = listener.bind(0);
                    listener.listen(1);
                    Endpoint client = card.open();
                    Endpoint[] server = new Endpoint[1];
                    Thread acceptor = new Thread(() -> {
                        try {
                            server[0] = listener.accept(Scif.ACCEPT_SYNC);
                        } catch (ScifException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    acceptor.start();
                    client.connect(new PortId(0, port));
                    acceptor.join();
                    client.send(ByteBuffer.wrap("modular".getBytes()), Scif.SEND_BLOCK);
                    ByteBuffer in = ByteBuffer.allocate(7);
                    server[0].recv(in, Scif.RECV_BLOCK);
                    System.out.println("module " + Scif.class.getModule().getName() + " named app "
                        + Main.class.getModule().getName() + " got " + new String(in.array()));
                    server[0].close();
                    client.close();
                    listener.close();
                }
            }
        }
        """;

    @Test
    void aModularApplicationAttachesAFabricAndMovesBytes(@TempDir Path tmp) throws Exception {
        Path api = Path.of(Scif.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.exists(api.resolve("module-info.class")) || api.toString().endsWith(".jar"),
            "the API is built as a module: " + api);
        Path src = tmp.resolve("src");
        Files.createDirectories(src.resolve("demo"));
        Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(src.resolve("demo/Main.java"), MAIN);
        Path out = tmp.resolve("out");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "--release", "17", "--module-path", api.toString(), "-d",
            out.toString(), src.resolve("module-info.java").toString(), src.resolve("demo/Main.java").toString());
        assertEquals(0, rc, "the application compiles against the module org.scif4j");

        String classPath = List.of(System.getProperty("java.class.path").split(File.pathSeparator)).stream()
            .filter(e -> !Path.of(e).toAbsolutePath().equals(api.toAbsolutePath()))
            .collect(Collectors.joining(File.pathSeparator));
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-Dchronicle")) {
                cmd.add(a);
            }
        }
        Path fabrics = tmp.resolve("fabrics");
        // The transport runs from the class path: ALL-DEFAULT resolves the system modules a class
        // path application would have (Chronicle needs jdk.unsupported), which a named main
        // module alone would not pull in.
        cmd.addAll(List.of("--add-modules", "ALL-DEFAULT", "--module-path", api + File.pathSeparator + out,
            "--class-path", classPath,
            "-m", "scif4j.demo/demo.Main", "modular", fabrics.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), text);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("module org.scif4j named app scif4j.demo got modular"), text);
        assertFalse(Files.exists(fabrics.resolve("modular")), "the fabric is gone once the application left");
    }
}
