package org.inferis.it;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/** Heap in use after a GC plus direct buffers: what a test server in this JVM holds. */
final class UsedMemory {
    private UsedMemory() {
    }

    static long bytes() {
        System.gc();
        Runtime runtime = Runtime.getRuntime();
        long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return runtime.totalMemory() - runtime.freeMemory() + direct;
    }
}
