package org.inferis.backend;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Ends the process through the C library's {@code _exit}: no {@code atexit} handlers, no static destructors, no JVM
 * shutdown hooks. For a stop with an engine thread still inside a call that cannot be interrupted (a TorchScript loop
 * the watchdog gave up on): {@code exit} would destroy libtorch's static tables under that thread, which then crashes
 * the process on its way out.
 */
public final class NativeExit {
    private interface CLibrary extends Library {
        void _exit(int status);
    }

    private NativeExit() {
    }

    /**
     * Flushes the standard streams (the log goes to stdout) and ends the process with the status; where JNA cannot
     * reach the C library, halts the JVM (which still runs the C library's exit).
     */
    public static void now(int status) {
        System.out.flush();
        System.err.flush();
        try {
            Native.load("c", CLibrary.class)._exit(status);
        } catch (LinkageError e) {
            Runtime.getRuntime().halt(status);
        }
    }
}
