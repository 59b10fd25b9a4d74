package dev.noether.exporter.page;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;

/**
 * JVM memory as DL4J's UI showed it, from the platform MXBeans: heap used/committed/max, non-heap (metaspace,
 * code cache) and the NIO buffer pools (direct and mapped). Memory that native libraries allocate by
 * themselves (libtorch, ND4J's workspaces) is invisible to the JVM and not included.
 */
record JvmMemory(long heapUsed, long heapCommitted, long heapMax, long nonHeapUsed, long directBuffers) {
    static JvmMemory now() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        MemoryUsage heap = memory.getHeapMemoryUsage();
        MemoryUsage nonHeap = memory.getNonHeapMemoryUsage();
        long buffers = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            buffers += Math.max(0, pool.getMemoryUsed());
        }
        return new JvmMemory(heap.getUsed(), heap.getCommitted(), heap.getMax(), nonHeap.getUsed(), buffers);
    }
}
