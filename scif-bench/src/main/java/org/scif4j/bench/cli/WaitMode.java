package org.scif4j.bench.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** The shm transport's {@code wait=} option: how a blocked call waits. */
public enum WaitMode {
    /** Busy-spin. */
    SPIN,
    /** Spin with Thread.yield. */
    YIELD,
    /** Park at once. */
    BLOCK,
    /** Spin, then yield, then park (the transport's default). */
    ADAPTIVE;

    /** @return the value in a fabric URI, e.g. {@code adaptive} */
    public String uriValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code spin}, {@code yield}, {@code block} or {@code adaptive}, any case. */
    public static final class Converter implements ITypeConverter<WaitMode> {
        @Override
        public WaitMode convert(String value) {
            for (WaitMode m : values()) {
                if (m.uriValue().equalsIgnoreCase(value.trim())) {
                    return m;
                }
            }
            throw new TypeConversionException("expected spin, yield, block or adaptive, not '"
                + value + "'");
        }
    }
}
