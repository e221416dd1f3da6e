package org.scif4j.bench;

import java.util.Locale;

/** The two JSON primitives the reports write by hand: a number and a quoted string. */
public final class Json {
    private Json() {
    }

    /** @param d a value @return it with 6 significant digits, or {@code null} when not finite */
    public static String number(double d) {
        return Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "null";
    }

    /** @param s a string @return it as a JSON string literal */
    public static String quote(String s) {
        StringBuilder q = new StringBuilder(s.length() + 2).append('"');
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                q.append('\\').append(ch);
            } else if (ch < 0x20) {
                q.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
            } else {
                q.append(ch);
            }
        }
        return q.append('"').toString();
    }
}
