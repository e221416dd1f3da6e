package org.scif4j.bench.cli;

import java.io.PrintStream;

/**
 * A one-line "what is being measured now" note for long runs, shown on a terminal's standard
 * error and overwritten in place, so that it never mixes into the results on standard output
 * or into a log: when standard error is not a terminal nothing is written.
 */
final class Progress {
    private final PrintStream err;
    private boolean shown;

    private Progress(PrintStream err) {
        this.err = err;
    }

    /** @return a progress line on this process's terminal, or one that shows nothing without a terminal */
    static Progress onTerminal() {
        return new Progress(System.console() == null ? null : System.err);
    }

    /** Replaces the line with {@code what}. */
    void show(String what) {
        if (err != null) {
            err.print("\r\033[K" + what + " ...");
            err.flush();
            shown = true;
        }
    }

    /** Removes the line, before results are printed. */
    void clear() {
        if (err != null && shown) {
            err.print("\r\033[K");
            err.flush();
            shown = false;
        }
    }
}
