package org.inferis.server;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SingleThreadIoEventLoop;
import java.util.concurrent.Executor;

/**
 * The connections' event loops: Netty's own, each able to tell a {@link LoopSpin} polling on it when its next timer
 * (a blocked pop's timeout) is due, which Netty keeps from a select strategy.
 */
final class ConnectionLoops extends MultiThreadIoEventLoopGroup {
    ConnectionLoops(int threads, IoHandlerFactory handlers) {
        super(threads, (Executor) null, handlers);
    }

    @Override
    protected IoEventLoop newChild(Executor executor, IoHandlerFactory handlers, Object... args) {
        return new Loop(this, executor, handlers);
    }

    private static final class Loop extends SingleThreadIoEventLoop implements LoopSpin.Timers {
        Loop(IoEventLoopGroup group, Executor executor, IoHandlerFactory handlers) {
            super(group, executor, handlers);
        }

        @Override
        public long nanosToNextTimer() {
            return nextScheduledTaskNano();
        }
    }
}
