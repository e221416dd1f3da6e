package org.scif4j.spi;

/**
 * A call and its arguments, for error messages on hot paths: filled in for free (one instance
 * per thread, reused by the next call on that thread) and turned into text such as
 * {@code writeTo(localOffset=0, length=4096, remoteOffset=8192, flags=0)} only when an error
 * is thrown. Use {@link #text()} at once; do not keep a {@code Call} beyond the call it names.
 */
public final class Call {
    private static final ThreadLocal<Call> CURRENT = ThreadLocal.withInitial(Call::new);

    private String name;
    private final String[] names = new String[4];
    private final long[] values = new long[4];
    private int count;

    private Call() {
    }

    /**
     * Describes a call with four arguments (a null name ends the list early).
     *
     * @param name the call, e.g. {@code "writeTo"}
     * @param n0 first argument's name
     * @param v0 its value
     * @param n1 second argument's name, or null
     * @param v1 its value
     * @param n2 third argument's name, or null
     * @param v2 its value
     * @param n3 fourth argument's name, or null
     * @param v3 its value
     * @return this thread's instance, filled in
     */
    public static Call of(String name, String n0, long v0, String n1, long v1, String n2, long v2, String n3, long v3) {
        Call c = CURRENT.get();
        c.name = name;
        c.set(0, n0, v0);
        c.set(1, n1, v1);
        c.set(2, n2, v2);
        c.set(3, n3, v3);
        c.count = n3 != null ? 4 : n2 != null ? 3 : n1 != null ? 2 : n0 != null ? 1 : 0;
        return c;
    }

    /**
     * @param name the call
     * @param n0 first argument's name
     * @param v0 its value
     * @param n1 second argument's name
     * @param v1 its value
     * @param n2 third argument's name
     * @param v2 its value
     * @return this thread's instance, filled in
     */
    public static Call of(String name, String n0, long v0, String n1, long v1, String n2, long v2) {
        return of(name, n0, v0, n1, v1, n2, v2, null, 0);
    }

    /**
     * @param name the call
     * @param n0 first argument's name
     * @param v0 its value
     * @param n1 second argument's name
     * @param v1 its value
     * @return this thread's instance, filled in
     */
    public static Call of(String name, String n0, long v0, String n1, long v1) {
        return of(name, n0, v0, n1, v1, null, 0, null, 0);
    }

    /**
     * @param name the call
     * @param n0 the argument's name
     * @param v0 its value
     * @return this thread's instance, filled in
     */
    public static Call of(String name, String n0, long v0) {
        return of(name, n0, v0, null, 0, null, 0, null, 0);
    }

    private void set(int i, String n, long v) {
        names[i] = n;
        values[i] = v;
    }

    /** @return the call as text, e.g. {@code fenceWait(mark=3)} */
    public String text() {
        StringBuilder sb = new StringBuilder(name).append('(');
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : ", ").append(names[i]).append('=').append(values[i]);
        }
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return text();
    }
}
