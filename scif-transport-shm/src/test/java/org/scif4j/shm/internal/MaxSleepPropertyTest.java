package org.scif4j.shm.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The system property {@code scif4j.shm.maxSleepMillis} is validated: a value that is not a
 * whole number of milliseconds from 1 to an hour makes attach fail with EINVAL and a message
 * naming the property, its value and what it accepts, instead of being ignored (a typo) or
 * turning blocked calls into busy loops (0, negative) or overflowing (huge).
 */
class MaxSleepPropertyTest {
    @Test
    void acceptsWholeMillisecondsFromOneToAnHour() {
        assertNull(Waiter.maxSleepError(null), "unset: the default");
        assertNull(Waiter.maxSleepError("1"));
        assertNull(Waiter.maxSleepError("5000"));
        assertNull(Waiter.maxSleepError(" 60000 "));
        assertNull(Waiter.maxSleepError(Long.toString(Waiter.LIMIT_MAX_SLEEP_MILLIS)));
    }

    @Test
    void refusesAnythingElseSayingWhatItAccepts() {
        for (String bad : List.of("", "abc", "5s", "1.5", "0", "-1", Long.toString(Waiter.LIMIT_MAX_SLEEP_MILLIS + 1),
            "9223372036854775807", "99999999999999999999")) {
            String why = Waiter.maxSleepError(bad);
            assertNotNull(why, "'" + bad + "' is refused");
            assertTrue(why.contains("scif4j.shm.maxSleepMillis='" + bad + "'"), why);
            assertTrue(why.contains("from 1 to 3600000"), why);
        }
    }

    @Test
    void attachFailsWithEinvalUnderAnInvalidValue() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "scif4j-maxsleep-");
        try {
            Process child = ChildJvm.start(List.of("-Dscif4j.shm.maxSleepMillis=5s"),
                "org.scif4j.shm.ShmChild", "attach", "shm:m?dir=" + dir + "&node=1");
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine();
                assertNotNull(line, "the child answered");
                assertTrue(line.startsWith("EINVAL ") && line.contains("scif4j.shm.maxSleepMillis='5s'"), line);
            } finally {
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child ended");
            }
            try (var files = Files.list(dir)) {
                assertEquals(List.of(), files.toList(), "nothing was made: the check comes before the fabric");
            }
        } finally {
            org.scif4j.shm.TestTrees.delete(dir);
        }
    }
}
