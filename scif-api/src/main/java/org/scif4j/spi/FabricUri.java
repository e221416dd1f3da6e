package org.scif4j.spi;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * A parsed fabric URI, {@code scheme:target?opt=value&opt=value}: the helper every transport
 * uses so that malformed URIs and unknown options fail alike, with EINVAL and a message that
 * says what was expected.
 */
public final class FabricUri {
    private final URI uri;
    private final String scheme;
    private final String target;
    private final Map<String, String> options;

    private FabricUri(URI uri, String scheme, String target, Map<String, String> options) {
        this.uri = uri;
        this.scheme = scheme;
        this.target = target;
        this.options = options;
    }

    /**
     * Parses a fabric URI string.
     *
     * @param text e.g. {@code shm:default?node=1&wait=block}
     * @return the parsed URI
     * @throws ScifException EINVAL if it is not of the form {@code scheme:target?options}
     */
    public static FabricUri parse(String text) throws ScifException {
        if (text == null || text.isBlank()) {
            throw ScifException.of("attach(fabric=" + text + ")", Errno.EINVAL,
                "a fabric URI is needed, e.g. shm:default?node=0");
        }
        try {
            return parse(new URI(text.trim()));
        } catch (java.net.URISyntaxException e) {
            throw ScifException.of("attach(fabric=" + text + ")", Errno.EINVAL,
                "not a URI (" + e.getMessage() + "); expected scheme:target?option=value, "
                    + "e.g. shm:default?node=0");
        }
    }

    /**
     * Parses a fabric URI.
     *
     * @param uri e.g. {@code URI.create("shm:default?node=1")}
     * @return the parsed URI
     * @throws ScifException EINVAL if it has no scheme or a malformed option
     */
    public static FabricUri parse(URI uri) throws ScifException {
        String call = "attach(fabric=" + uri + ")";
        if (uri.getScheme() == null) {
            throw ScifException.of(call, Errno.EINVAL,
                "no scheme; expected scheme:target?option=value, e.g. shm:default?node=0");
        }
        String ssp = uri.getRawSchemeSpecificPart();
        int q = ssp.indexOf('?');
        String target = decode(q < 0 ? ssp : ssp.substring(0, q));
        Map<String, String> options = new LinkedHashMap<>();
        if (q >= 0 && q + 1 < ssp.length()) {
            for (String pair : ssp.substring(q + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw ScifException.of(call, Errno.EINVAL,
                        "option '" + pair + "' has no value; expected name=value");
                }
                String name = decode(pair.substring(0, eq));
                if (options.put(name, decode(pair.substring(eq + 1))) != null) {
                    throw ScifException.of(call, Errno.EINVAL,
                        "option '" + name + "' is given twice; expected it at most once");
                }
            }
        }
        return new FabricUri(uri, uri.getScheme().toLowerCase(java.util.Locale.ROOT), target,
            Collections.unmodifiableMap(options));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** @return the original URI */
    public URI uri() {
        return uri;
    }

    /** @return the scheme, lower case */
    public String scheme() {
        return scheme;
    }

    /** @return what stands between the scheme and the options, decoded (e.g. the fabric name) */
    public String target() {
        return target;
    }

    /** @return all options, in the order given */
    public Map<String, String> options() {
        return options;
    }

    /**
     * Fails unless every option is one of {@code known}.
     *
     * @param known the options the transport understands
     * @throws ScifException EINVAL naming the unknown option and the known ones
     */
    public void requireKnownOptions(Set<String> known) throws ScifException {
        for (String name : options.keySet()) {
            if (!known.contains(name)) {
                throw invalid("unknown option '" + name + "'; known options of " + scheme
                    + ": are " + new TreeSet<>(known));
            }
        }
    }

    /**
     * @param name option name
     * @param def  value when absent
     * @return the option's value, or {@code def}
     */
    public String option(String name, String def) {
        return options.getOrDefault(name, def);
    }

    /**
     * An integer option in {@code [min, max]}.
     *
     * @param name option name
     * @param def  value when absent
     * @param min  smallest allowed
     * @param max  largest allowed
     * @return the value
     * @throws ScifException EINVAL if not a number in range
     */
    public long longOption(String name, long def, long min, long max) throws ScifException {
        String v = options.get(name);
        if (v == null) {
            return def;
        }
        long n;
        try {
            n = parseSize(v);
        } catch (NumberFormatException e) {
            throw invalid("option " + name + "=" + v + " is not a number; expected an integer"
                + " in [" + min + ", " + max + "]");
        }
        if (n < min || n > max) {
            throw invalid("option " + name + "=" + v + " is out of range; expected ["
                + min + ", " + max + "]");
        }
        return n;
    }

    /** Accepts plain integers and the suffixes k, m, g (powers of 1024). */
    private static long parseSize(String v) {
        String s = v.trim().toLowerCase(java.util.Locale.ROOT);
        long mult = 1;
        if (s.endsWith("k")) {
            mult = 1L << 10;
        } else if (s.endsWith("m")) {
            mult = 1L << 20;
        } else if (s.endsWith("g")) {
            mult = 1L << 30;
        }
        if (mult != 1) {
            s = s.substring(0, s.length() - 1);
        }
        return Math.multiplyExact(Long.parseLong(s), mult);
    }

    /**
     * A boolean option ({@code true} or {@code false}).
     *
     * @param name option name
     * @param def  value when absent
     * @return the value
     * @throws ScifException EINVAL for any other text
     */
    public boolean booleanOption(String name, boolean def) throws ScifException {
        String v = options.get(name);
        if (v == null) {
            return def;
        }
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw invalid("option " + name + "=" + v + " is not a boolean; expected true or false");
    }

    /**
     * An option whose value is one of {@code choices}.
     *
     * @param name    option name
     * @param def     value when absent
     * @param choices allowed values
     * @return the value, lower case
     * @throws ScifException EINVAL for any other text
     */
    public String choiceOption(String name, String def, Set<String> choices) throws ScifException {
        String v = options.get(name);
        if (v == null) {
            return def;
        }
        String lower = v.toLowerCase(java.util.Locale.ROOT);
        if (!choices.contains(lower)) {
            throw invalid("option " + name + "=" + v + " is not one of " + new TreeSet<>(choices));
        }
        return lower;
    }

    /**
     * @param detail what is wrong and what was expected
     * @return an EINVAL exception naming this URI
     */
    public ScifException invalid(String detail) {
        return ScifException.of("attach(fabric=" + uri + ")", Errno.EINVAL, detail);
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
