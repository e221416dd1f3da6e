package org.scif4j.bench.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** A count: {@code 100000}, {@code 100_000} or {@code 100,000}. */
public final class CountConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            return Long.parseLong(value.trim().replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value
                + "' is not a count (e.g. 100000 or 100_000)");
        }
    }
}
