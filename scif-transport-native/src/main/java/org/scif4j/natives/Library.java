package org.scif4j.natives;

import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.scif4j.Errno;
import org.scif4j.ScifException;

/**
 * A loaded libscif: the system's, one at a path, or the emulated one from this jar. scif4j's
 * own library (it exports {@code scif4j_detach}) holds a fabric attachment in its static
 * state, read from {@code SCIF_FABRIC} at its first call; so every attach of it loads a fresh
 * private copy of the file, configures it before that first call, and detaches it at close.
 */
final class Library {
    /** The system library's name, as MPSS installs it. */
    static final String SYSTEM = "libscif.so.0";
    /** Where the emulated library lies in this jar: JNA's resource layout. */
    static final String RESOURCE = "linux-x86-64/libscif.so.0.0.1";

    final NativeLibrary lib;
    /** The file it was loaded from, for messages. */
    final String origin;
    /** Whether it is scif4j's own library (it exports scif4j_detach). */
    final boolean scif4j;

    private Library(NativeLibrary lib, String origin, boolean scif4j) {
        this.lib = lib;
        this.origin = origin;
        this.scif4j = scif4j;
    }

    /**
     * Loads the library {@code lib=} names: null for the system's, "emulated", or a path.
     *
     * @throws ScifException ENODEV when it cannot be loaded, EOPNOTSUPP for emulated off
     *                       linux-x86-64
     */
    static Library load(String option, String call) throws ScifException {
        if ("emulated".equals(option)) {
            return loadCopy(extractEmulated(call), "the emulated libscif of scif-transport-native's jar", call);
        }
        String name = option == null ? SYSTEM : option;
        NativeLibrary probe = open(name, call);
        String file = probe.getFile() == null ? name : probe.getFile().getAbsolutePath();
        if (!exportsDetach(probe)) {
            return new Library(probe, file, false);
        }
        return fresh(Path.of(file), file, call);
    }

    /** A private copy of scif4j's library, so that its static state is new. */
    private static Library fresh(Path file, String origin, String call) throws ScifException {
        Path copy;
        try {
            copy = Files.createTempFile("scif4j-libscif-", ".so");
            Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw ScifException.of(call, Errno.ENODEV, "cannot copy " + file + " to load it: " + e.getMessage());
        }
        return loadCopy(copy, origin, call);
    }

    /** Loads a private copy and deletes its file (the loader has mapped it). */
    private static Library loadCopy(Path copy, String origin, String call) throws ScifException {
        try {
            NativeLibrary lib = open(copy.toString(), call);
            if (!exportsDetach(lib)) {
                throw ScifException.of(call, Errno.ENODEV, origin + " is not scif4j's libscif");
            }
            return new Library(lib, origin, true);
        } finally {
            try {
                Files.deleteIfExists(copy);
            } catch (IOException e) {
                copy.toFile().deleteOnExit();
            }
        }
    }

    private static Path extractEmulated(String call) throws ScifException {
        if (!Platform.isLinux() || !Platform.is64Bit() || !"x86-64".equals(Platform.ARCH)) {
            throw ScifException.of(call, Errno.EOPNOTSUPP, "lib=emulated is shipped for linux-x86-64 only; this is "
                + Platform.RESOURCE_PREFIX + ": build libscif/ here and pass lib=PATH");
        }
        try (InputStream in = Library.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw ScifException.of(call, Errno.ENODEV, "the jar holds no " + RESOURCE
                    + "; build scif-transport-native with Maven (it copies libscif's build output)");
            }
            Path tmp = Files.createTempFile("scif4j-libscif-", ".so");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException e) {
            throw ScifException.of(call, Errno.ENODEV, "cannot extract " + RESOURCE + ": " + e.getMessage());
        }
    }

    private static NativeLibrary open(String name, String call) throws ScifException {
        try {
            return NativeLibrary.getInstance(name);
        } catch (UnsatisfiedLinkError e) {
            throw ScifException.of(call, Errno.ENODEV, "cannot load " + name + " (" + firstLine(e.getMessage())
                + "); install Intel MPSS, set LD_LIBRARY_PATH, or use native:?lib=emulated");
        }
    }

    static boolean exportsDetach(NativeLibrary lib) {
        try {
            lib.getFunction("scif4j_detach");
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    /** Leaves the fabric, for scif4j's library; nothing for the driver's. */
    void detach() {
        if (scif4j) {
            lib.getFunction("scif4j_detach").invokeInt(new Object[0]);
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "no reason given";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** @return why the system library cannot run here, or null (the availability probe) */
    static String systemUnavailability() {
        NativeLibrary lib;
        try {
            lib = NativeLibrary.getInstance(SYSTEM);
        } catch (UnsatisfiedLinkError e) {
            return "no " + SYSTEM + " on the library path (install Intel MPSS or use native:?lib=emulated)";
        }
        if (exportsDetach(lib)) {
            return null; // scif4j's library as the system's: it needs no driver
        }
        if (!Files.exists(Path.of("/dev/scif")) && !Files.exists(Path.of("/dev/mic/scif"))) {
            return SYSTEM + " is " + lib.getFile() + ", but neither /dev/scif nor /dev/mic/scif exists: the SCIF "
                + "driver is not loaded (MPSS's mpss service); native:?lib=emulated needs no driver";
        }
        return null;
    }

    /** @return why lib=emulated cannot run here, or null */
    static String emulatedUnavailability() {
        if (!Platform.isLinux() || !"x86-64".equals(Platform.ARCH)) {
            return "lib=emulated is shipped for linux-x86-64 only, not " + Platform.RESOURCE_PREFIX;
        }
        if (Library.class.getClassLoader().getResource(RESOURCE) == null) {
            return "the jar holds no " + RESOURCE;
        }
        return null;
    }
}
