package org.inferis.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * How much a connection reads at a time, and into what: Netty's adaptive read sizes, with reads larger than
 * {@link #LARGE_READ} in buffers of their own, from the C allocator and freed the moment the request is done with them
 * (Netty frees them so when {@code Main} lets it), rather than from the channel's pooled allocator.
 *
 * <p>Why: a large read is a large argument, a tensor's BLOB, and the kernel's copy into the pooled allocator's large
 * buffers cost three times the copy into these (strace, 588 KiB reads: 165 µs against 52), most likely because the
 * C allocator hands the next read the block just freed, still in the cache, as redis-server's reads into the strings
 * it keeps get theirs. A 588 KiB AI.TENSORSET at 50 clients, side by side with redis-server's SET: 0.56-0.67x its
 * rate before, 0.94-1.07x after.
 */
final class ReadBuffers implements RecvByteBufAllocator {
    /** Reads up to this size come from the channel's allocator, which pools them. */
    static final int LARGE_READ = 64 * 1024;

    private final AdaptiveRecvByteBufAllocator sizes;

    /** @param maxRead the largest read from a client's socket */
    ReadBuffers(int maxRead) {
        this.sizes = new AdaptiveRecvByteBufAllocator(64, 2048, maxRead);
    }

    @Override
    public Handle newHandle() {
        return new LargeReadsApart((ExtendedHandle) sizes.newHandle());
    }

    /** Netty's handle, but for where a large read's buffer comes from; extended, as the epoll transport needs. */
    private static final class LargeReadsApart extends DelegatingHandle implements ExtendedHandle {
        LargeReadsApart(ExtendedHandle sizes) {
            super(sizes);
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            int size = guess();
            return size > LARGE_READ ? UnpooledByteBufAllocator.DEFAULT.directBuffer(size) : super.allocate(alloc);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ((ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
        }
    }
}
