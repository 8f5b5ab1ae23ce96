package org.inferis.observability;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/** The process's memory as INFO and the metrics report it: the heap in use and the direct buffers. */
public final class MemoryUse {
    private MemoryUse() {
    }

    public static long heapUsed() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /**
     * Direct buffers: the JVM's own, and Netty's that it allocates without the JVM's bookkeeping (its counter says
     * -1 when it makes none), which the server's network buffers are when Netty may free them on release.
     */
    public static long direct() {
        long jvm = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return jvm + Math.max(0, PlatformDependent.usedDirectMemory());
    }
}
