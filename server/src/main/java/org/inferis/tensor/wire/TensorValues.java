package org.inferis.tensor.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.inferis.resp.BulkReply;
import org.inferis.resp.DoubleReply;
import org.inferis.resp.IntegerReply;
import org.inferis.resp.Reply;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/** A tensor's elements as RESP values: floats as doubles (bulk strings in RESP2), integers as integers, strings as bulks. */
public final class TensorValues {
    private TensorValues() {
    }

    public static List<Reply> of(Tensor tensor) {
        ByteBuffer data = tensor.data();
        int count = (int) tensor.elementCount();
        List<Reply> values = new ArrayList<>(count);
        DType dtype = tensor.dtype();
        for (int i = 0; i < count; i++) {
            values.add(switch (dtype) {
                case FLOAT -> new DoubleReply(data.getFloat());
                case DOUBLE -> new DoubleReply(data.getDouble());
                case FLOAT16 -> new DoubleReply(Half.fromFloat16(data.getShort()));
                case BFLOAT16 -> new DoubleReply(Half.fromBfloat16(data.getShort()));
                case INT8, BOOL -> IntegerReply.of(data.get());
                case INT16 -> IntegerReply.of(data.getShort());
                case INT32 -> IntegerReply.of(data.getInt());
                case INT64 -> IntegerReply.of(data.getLong());
                case UINT8 -> IntegerReply.of(data.get() & 0xff);
                case UINT16 -> IntegerReply.of(data.getShort() & 0xffff);
                case STRING -> BulkReply.of(Tensor.nextString(data));
            });
        }
        return values;
    }
}
