package org.inferis.backend.isolated;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.inferis.backend.BackendException;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/**
 * The frames the server and its engine process exchange over their socket: a length, then the fields in order.
 * A request starts with its {@link Op}; an answer with a status ({@link #OK}, or one of the failures, followed by
 * the message).
 */
final class Wire {
    enum Op { LOAD, COMPILE, RUN, EXECUTE, CALL, TERMINATE, CLOSE, VERSION, STARTED }

    static final byte OK = 0;
    static final byte REFUSED = 1;
    static final byte REFUSED_IN_ENGINES_WORDS = 2;
    static final byte FAILED = 3;

    /** A frame buffer's size; one grown past {@link #KEPT} for a large tensor is let go at the next small frame. */
    private static final int INITIAL = 1 << 16;
    private static final int KEPT = 4 << 20;

    private Wire() {
    }

    /** A frame being written, in a buffer that grows and is kept for the next. */
    static final class Out {
        private ByteBuffer buffer = ByteBuffer.allocate(INITIAL);

        Out start() {
            if (buffer.capacity() > KEPT) {
                buffer = ByteBuffer.allocate(INITIAL);
            }
            buffer.clear().putInt(0); // the length, set by send
            return this;
        }

        Out op(Op op) {
            return putByte((byte) op.ordinal());
        }

        Out putByte(byte value) {
            room(1).put(value);
            return this;
        }

        Out putBoolean(boolean value) {
            return putByte((byte) (value ? 1 : 0));
        }

        Out putLong(long value) {
            room(8).putLong(value);
            return this;
        }

        Out putBytes(byte[] bytes) {
            room(4 + bytes.length).putInt(bytes.length).put(bytes);
            return this;
        }

        Out putString(String text) {
            return putBytes(text.getBytes(StandardCharsets.UTF_8));
        }

        Out putStrings(Collection<String> texts) {
            room(4).putInt(texts.size());
            texts.forEach(this::putString);
            return this;
        }

        Out putTensors(List<Tensor> tensors) {
            room(4).putInt(tensors.size());
            for (Tensor tensor : tensors) {
                room(8 + 8 * tensor.rank()).putInt(tensor.dtype().ordinal()).putInt(tensor.rank());
                for (long dim : tensor.shape()) {
                    buffer.putLong(dim);
                }
                ByteBuffer data = tensor.data();
                room(4 + data.remaining()).putInt(data.remaining()).put(data);
            }
            return this;
        }

        private ByteBuffer room(int bytes) {
            if (buffer.remaining() < bytes) {
                long needed = (long) buffer.position() + bytes;
                if (needed > Integer.MAX_VALUE - 8) {
                    throw new IllegalArgumentException("a message of " + needed + " bytes is more than the engine "
                            + "process takes (2 GiB)");
                }
                ByteBuffer larger = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8,
                        Math.max(needed, 2L * buffer.capacity())));
                buffer.flip();
                larger.put(buffer);
                buffer = larger;
            }
            return buffer;
        }

        void send(SocketChannel channel) throws IOException {
            buffer.flip();
            buffer.putInt(0, buffer.limit() - 4);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }

    /** A frame read whole, its fields taken in order. */
    static final class In {
        private ByteBuffer buffer = ByteBuffer.allocate(INITIAL);

        /** Reads the next frame; end of stream (the other process gone) is an {@link EOFException}. */
        In receive(SocketChannel channel) throws IOException {
            buffer.clear().limit(4);
            readFully(channel);
            int length = buffer.getInt(0);
            if (buffer.capacity() < length || buffer.capacity() > KEPT && length <= INITIAL) {
                buffer = ByteBuffer.allocate(Math.max(length, INITIAL));
            }
            buffer.clear().limit(length);
            readFully(channel);
            buffer.flip();
            return this;
        }

        private void readFully(SocketChannel channel) throws IOException {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer) < 0) {
                    throw new EOFException("the engine connection closed");
                }
            }
        }

        Op op() {
            return Op.values()[buffer.get()];
        }

        byte getByte() {
            return buffer.get();
        }

        boolean getBoolean() {
            return buffer.get() != 0;
        }

        long getLong() {
            return buffer.getLong();
        }

        byte[] getBytes() {
            byte[] bytes = new byte[buffer.getInt()];
            buffer.get(bytes);
            return bytes;
        }

        String getString() {
            return new String(getBytes(), StandardCharsets.UTF_8);
        }

        List<String> getStrings() {
            int count = buffer.getInt();
            List<String> texts = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                texts.add(getString());
            }
            return texts;
        }

        /** Tensors in buffers of their own: a tensor outlives the frame. */
        List<Tensor> getTensors() {
            int count = buffer.getInt();
            List<Tensor> tensors = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                DType dtype = DType.values()[buffer.getInt()];
                long[] shape = new long[buffer.getInt()];
                for (int axis = 0; axis < shape.length; axis++) {
                    shape[axis] = buffer.getLong();
                }
                ByteBuffer data = ByteBuffer.allocate(buffer.getInt()).order(ByteOrder.LITTLE_ENDIAN);
                data.put(buffer.slice().limit(data.capacity()));
                buffer.position(buffer.position() + data.capacity());
                tensors.add(new Tensor(dtype, shape, data.flip()));
            }
            return tensors;
        }

        /** The answer's status: past OK, or the failure it reports thrown as the engine threw it. */
        In answer() throws BackendException {
            byte status = buffer.get();
            if (status == OK) {
                return this;
            }
            String message = getString();
            switch (status) {
                case REFUSED -> throw new BackendException(message);
                case REFUSED_IN_ENGINES_WORDS -> throw BackendException.enginesWords(message, null);
                default -> throw new EngineFailure(message);
            }
        }
    }

    /** An engine's unexpected exception, reported with the text it had in the engine process. */
    static final class EngineFailure extends RuntimeException {
        EngineFailure(String description) {
            super(description, null, false, false);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
