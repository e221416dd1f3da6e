package org.scif4j.tests.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java examples of the README's "Example" section are compiled and run as they stand, so the README stays true. */
class ReadmeExampleTest {
    @Test
    void everyJavaExampleOfTheReadmesExampleSectionCompilesAndRuns(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher section = Pattern.compile("\n## Example\n(.*?)(\n## |$)", Pattern.DOTALL).matcher(readme);
        assertTrue(section.find(), "the README has an Example section");
        Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(section.group(1));
        int examples = 0;
        while (m.find()) {
            compileAndRun(dir.resolve("example" + examples++), m.group(1));
        }
        assertEquals(2, examples, "the SCIF-faithful Hello and the friendliest form");
    }

    private void compileAndRun(Path dir, String source) throws Exception {
        Files.createDirectories(dir);
        Matcher cls = Pattern.compile("public class (\\w+)").matcher(source);
        assertTrue(cls.find(), "the example is a public class");
        Path file = dir.resolve(cls.group(1) + ".java");
        Files.writeString(file, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int rc = javac.run(null, null, errors, "-classpath", System.getProperty("java.class.path"),
            "-d", dir.toString(), file.toString());
        assertEquals(0, rc, cls.group(1) + " compiles: " + errors.toString(StandardCharsets.UTF_8));

        PrintStream stdout = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            loader.loadClass(cls.group(1)).getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(stdout);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("hello, host from 1:1089"), cls.group(1) + " prints what the README says: " + printed);
        assertFalse(Files.exists(Path.of("/dev/shm/scif4j/demo")), cls.group(1) + " leaves nothing in /dev/shm");
    }
}
