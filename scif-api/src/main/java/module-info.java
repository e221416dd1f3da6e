/**
 * scif4j's API: the symmetric SCIF endpoint API ({@link org.scif4j.Scif}, {@link org.scif4j.Endpoint})
 * and the transport SPI ({@link org.scif4j.spi.ScifTransport}), which transports implement and
 * {@link java.util.ServiceLoader} finds, on the module path ({@code provides}) or on the class
 * path ({@code META-INF/services}). Depends on {@code java.base} alone.
 */
module org.scif4j {
    exports org.scif4j;
    exports org.scif4j.spi;

    uses org.scif4j.spi.ScifTransport;
}
