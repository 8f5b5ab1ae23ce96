package org.inferis.backend.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import org.inferis.backend.BackendException;

/**
 * Refuses ONNX models that reach past what a model may: a tensor stored outside the model, which ONNX Runtime reads
 * from whatever path it names (absolute, or relative to the server's directory) or from a raw memory address, so a
 * stored model could hand any file the server may read back as an output; and operators outside ONNX's own sets
 * ({@code ai.onnx}, {@code ai.onnx.ml}) and the model's own functions: ONNX Runtime's contrib operators
 * ({@code com.microsoft}) trust their attributes ({@code ExpandDims} with axis 100000 killed the process while the
 * model loaded). Walks every place a tensor or a node can sit (initializers, attributes, subgraphs, functions) by the
 * fields of onnx.proto; ONNX Runtime's own ORT format is refused outright.
 */
final class ModelContent {
    /** protobuf's own default, as ONNX Runtime parses with it: deeper nesting fails there too. */
    private static final int MAX_DEPTH = 100;
    private static final int TENSOR_EXTERNAL_DATA = 13;
    private static final int TENSOR_DATA_LOCATION = 14;
    private static final int NODE_DOMAIN = 7;
    private static final int FUNCTION_DOMAIN = 10;
    private static final Set<String> ONNX_DOMAINS = Set.of("", "ai.onnx", "ai.onnx.ml");
    /** Domains ONNX Runtime registers operators in: a model's function cannot claim one. */
    private static final String[] RUNTIME_DOMAINS = {"com.microsoft", "com.ms.", "ai.onnx.", "org.pytorch"};

    /** The domains the walk met: of nodes, and of the model's own functions. */
    private final Set<String> nodeDomains = new HashSet<>();
    private final Set<String> functionDomains = new HashSet<>();

    /** The message fields a tensor can be reached through, by message. */
    private enum Message {
        MODEL, GRAPH, NODE, ATTRIBUTE, TENSOR, SPARSE_TENSOR, FUNCTION, TRAINING_INFO;

        Message field(int number) {
            return switch (this) {
                case MODEL -> number == 7 ? GRAPH : number == 20 ? TRAINING_INFO : number == 25 ? FUNCTION : null;
                case GRAPH -> number == 1 ? NODE : number == 5 ? TENSOR : number == 15 ? SPARSE_TENSOR : null;
                case NODE -> number == 5 ? ATTRIBUTE : null;
                case ATTRIBUTE -> switch (number) {
                    case 5, 10 -> TENSOR;
                    case 6, 11 -> GRAPH;
                    case 22, 23 -> SPARSE_TENSOR;
                    default -> null;
                };
                case SPARSE_TENSOR -> number == 1 || number == 2 ? TENSOR : null;
                case FUNCTION -> number == 7 ? NODE : number == 11 ? ATTRIBUTE : null;
                case TRAINING_INFO -> number == 1 || number == 2 ? GRAPH : null;
                case TENSOR -> null;
            };
        }
    }

    private ModelContent() {
    }

    static void check(byte[] model) throws BackendException {
        if (model.length >= 8 && model[4] == 'O' && model[5] == 'R' && model[6] == 'T' && model[7] == 'M') {
            throw new BackendException("the model is in ONNX Runtime's ORT format; store the ONNX model");
        }
        ModelContent content = new ModelContent();
        try {
            content.walk(CodedInputStream.newInstance(model), Message.MODEL, 0);
        } catch (IOException e) {
            // ONNX Runtime's own words for bytes that are no ONNX protobuf
            throw BackendException.enginesWords("Failed to load model because protobuf parsing failed.", e);
        }
        for (String domain : content.nodeDomains) {
            if (!ONNX_DOMAINS.contains(domain) && !(content.functionDomains.contains(domain) && !runtimes(domain))) {
                throw new BackendException("the model uses operators of the domain '" + domain + "', which Inferis "
                        + "refuses: ONNX Runtime's contrib operators trust their inputs; export the model with ONNX's "
                        + "own operators (ai.onnx, ai.onnx.ml)");
            }
        }
    }

    private static boolean runtimes(String domain) {
        for (String prefix : RUNTIME_DOMAINS) {
            if (domain.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private void walk(CodedInputStream in, Message message, int depth) throws IOException, BackendException {
        if (depth > MAX_DEPTH) {
            throw new IOException("nested deeper than " + MAX_DEPTH);
        }
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int number = WireFormat.getTagFieldNumber(tag);
            int type = WireFormat.getTagWireType(tag);
            if (message == Message.TENSOR && number == TENSOR_EXTERNAL_DATA) {
                throw external();
            }
            if ((message == Message.NODE && number == NODE_DOMAIN || message == Message.FUNCTION
                    && number == FUNCTION_DOMAIN) && type == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                (message == Message.NODE ? nodeDomains : functionDomains).add(in.readStringRequireUtf8());
                continue;
            }
            if (message == Message.TENSOR && number == TENSOR_DATA_LOCATION && type == WireFormat.WIRETYPE_VARINT) {
                if (in.readEnum() != 0) { // DEFAULT is 0; EXTERNAL, or a value this reading does not know
                    throw external();
                }
                continue;
            }
            Message inner = message.field(number);
            if (inner != null && type == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int limit = in.pushLimit(in.readRawVarint32());
                walk(in, inner, depth + 1);
                in.popLimit(limit);
            } else if (!in.skipField(tag)) {
                break; // an end-group tag, which the caller refuses
            }
        }
        in.checkLastTagWas(0);
    }

    private static BackendException external() {
        return new BackendException("the model keeps a tensor outside it (external data), which ONNX Runtime would "
                + "read from the server's files; Inferis refuses it: store the model with every tensor inside it");
    }
}
