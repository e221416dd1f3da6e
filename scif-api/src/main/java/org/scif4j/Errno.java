package org.scif4j;

/**
 * The Linux (x86_64) error numbers that SCIF calls report, with their C names and values.
 * A {@link ScifException} always carries one, so that code written against the C API's
 * {@code errno} checks can be ported one to one.
 */
public enum Errno {
    EPERM(1), ENOENT(2), EINTR(4), ENXIO(6), EBADF(9), EAGAIN(11), ENOMEM(12), EACCES(13),
    EFAULT(14), EBUSY(16), ENODEV(19), EINVAL(22), EMFILE(24), ENOTTY(25), ENOSPC(28),
    EOVERFLOW(75), EOPNOTSUPP(95), EADDRINUSE(98), ECONNRESET(104), ENOBUFS(105),
    EISCONN(106), ENOTCONN(107), ETIMEDOUT(110), ECONNREFUSED(111), EINPROGRESS(115);

    private static final Errno[] BY_NUMBER = new Errno[128];

    static {
        for (Errno e : values()) {
            BY_NUMBER[e.number] = e;
        }
    }

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    /** @return the numeric value, as in {@code <errno.h>} on Linux x86_64 */
    public int number() {
        return number;
    }

    /**
     * Looks up an errno by its number, as returned by a native call.
     *
     * @param number a Linux errno value
     * @return the constant, or {@code null} if SCIF never reports that number
     */
    public static Errno ofNumber(int number) {
        return number >= 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
    }
}
