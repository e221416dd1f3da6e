package org.scif4j.spi;

import java.util.Locale;

/**
 * How a blocked call waits for the state it needs: the {@code wait=} option of every
 * transport's URI. A transport that cannot spin on a state (tcp waits on monitors and its
 * sockets) takes the spinning modes as hints for how long to spin before it sleeps.
 */
public enum WaitMode {
    /** Busy-spin: lowest latency, burns a core per waiting thread. */
    SPIN,
    /** Spin with {@link Thread#yield()}. */
    YIELD,
    /** Sleep at once: no CPU while idle. */
    BLOCK,
    /** Spin a few microseconds, then yield briefly, then sleep (the default). */
    ADAPTIVE;

    /** The option's default, in its URI spelling. */
    public static final String DEFAULT = "adaptive";

    /** @return the mode as the {@code wait=} option spells it, e.g. {@code adaptive} */
    public String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads the {@code wait=} option of a URI.
     *
     * @param uri the parsed URI
     * @param key the option's name, {@code wait}
     * @return the mode, {@link #ADAPTIVE} when the option is absent
     * @throws org.scif4j.ScifException EINVAL for a value that names no mode
     */
    public static WaitMode option(FabricUri uri, String key) throws org.scif4j.ScifException {
        return valueOf(uri.choiceOption(key, DEFAULT, java.util.Set.of("spin", "yield", "block", "adaptive"))
            .toUpperCase(Locale.ROOT));
    }
}
