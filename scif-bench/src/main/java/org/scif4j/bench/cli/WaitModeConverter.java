package org.scif4j.bench.cli;

import org.scif4j.spi.WaitMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code --wait}: {@code spin}, {@code yield}, {@code block} or {@code adaptive}, any case. */
public final class WaitModeConverter implements ITypeConverter<WaitMode> {
    @Override
    public WaitMode convert(String value) {
        for (WaitMode m : WaitMode.values()) {
            if (m.optionValue().equalsIgnoreCase(value.trim())) {
                return m;
            }
        }
        throw new TypeConversionException("expected spin, yield, block or adaptive, not '" + value + "'");
    }
}
