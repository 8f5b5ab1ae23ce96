package org.inferis.backend.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.BackendException;

/**
 * Checks the {@code ai.onnx.ml} operators whose ONNX Runtime kernels (1.21) index one attribute by the length of
 * another, or by their input's width or values, without checking: {@code LinearRegressor}, {@code LinearClassifier},
 * {@code SVMRegressor}, {@code SVMClassifier}, the tree ensembles and {@code ArrayFeatureExtractor}. A crafted model of
 * each (a coefficient for a million targets, fewer class labels than intercepts, no {@code rho}, one kernel parameter
 * of three, a feature index of 2^31, an index of -10^8) killed the process as it loaded or on its first run.
 * Attributes and constant indices are checked here, before ONNX Runtime sees the model; the input widths the linear
 * and SVM classifiers read, and indices fed as model inputs, are returned to be checked on every run
 * ({@link RunChecks}), which needs them to come from a model input that the checks can follow. Opset 5's
 * {@code TreeEnsemble}, whose conversion trusts its node indices, is refused.
 */
final class MlOperators {
    private static final String ML = "ai.onnx.ml";
    private static final Set<String> CHECKED = Set.of("LinearRegressor", "LinearClassifier", "SVMRegressor",
            "SVMClassifier", "TreeEnsembleRegressor", "TreeEnsembleClassifier", "TreeEnsemble");
    /** Operators whose output has their first input's shape, through which an input's width can be followed. */
    private static final List<String> SHAPE_KEEPING = List.of("Cast", "Identity");
    private static final List<String> SHAPE_KEEPING_ML = List.of("Scaler", "Normalizer", "Imputer", "Binarizer");
    private static final int MAX_CLASSES = 65535;
    /** Operators whose outputs are positions, never negative. */
    private static final List<String> POSITIONS = List.of("ArgMax", "ArgMin");
    /** TensorProto.DataType's INT64. */
    private static final int INT64 = 7;

    /**
     * What a node's attribute holds, as far as the checks need: its integer, its list's length and, of a list of
     * integers, the least, the greatest and the sum (Long.MAX_VALUE past it): a forest's lists can be millions long.
     */
    private record Attribute(long integer, int length, long min, long max, long sum, boolean referenced) {
    }

    /** A list of integers, read one at a time. */
    private static final class Integers {
        int length;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        long sum;

        void add(long value) {
            length++;
            min = Math.min(min, value);
            max = Math.max(max, value);
            // saturates upwards; a sum with a negative value in it is not used (no count may be negative)
            sum = value > 0 && sum > Long.MAX_VALUE - value ? Long.MAX_VALUE : sum + value;
        }
    }

    private record Node(String opType, String domain, String name, List<String> inputs, List<String> outputs,
                        Map<String, Attribute> attributes) {
        boolean checked() {
            return ML.equals(domain) && CHECKED.contains(opType);
        }

        boolean isIndexing() {
            return ML.equals(domain) && opType.equals("ArrayFeatureExtractor");
        }

        boolean keepsShape() {
            return (domain.isEmpty() ? SHAPE_KEEPING : ML.equals(domain) ? SHAPE_KEEPING_ML : List.of())
                    .contains(opType) && !inputs.isEmpty();
        }

        int length(String attribute) {
            Attribute value = attributes.get(attribute);
            return value == null ? 0 : value.length();
        }

        long integer(String attribute, long otherwise) {
            Attribute value = attributes.get(attribute);
            return value == null ? otherwise : value.integer();
        }

        String label() {
            return opType + (name.isEmpty() ? "" : " '" + name + "'");
        }
    }

    /** A graph's nodes, inputs, and initializers with the least INT64 value of each (Long.MAX_VALUE: none). */
    private record Graph(List<Node> nodes, Set<String> inputs, Map<String, Long> initializers) {
    }

    /** What runs must hold: input widths, and inputs whose values are indices that must not be negative. */
    record RunChecks(List<InputWidth> widths, Set<String> nonNegativeInputs) {
    }

    /** The width a model input must have on every run, as the operator that reads it counts it. */
    record InputWidth(String input, long width, String reader) {
        /** Rank 0 or 1: all the elements; else the second dimension, as the kernels count their features. */
        static long of(long[] shape) {
            if (shape.length >= 2) {
                return shape[1];
            }
            long elements = 1;
            for (long dim : shape) {
                elements *= dim;
            }
            return elements;
        }
    }

    private final List<Node> nested = new ArrayList<>();
    private final List<Node> inFunctions = new ArrayList<>();

    private MlOperators() {
    }

    /** Refuses the model when a checked operator's attributes disagree; returns the input widths runs must have. */
    static RunChecks check(byte[] model) throws BackendException {
        MlOperators found = new MlOperators();
        Graph main;
        try {
            CodedInputStream in = CodedInputStream.newInstance(model);
            in.enableAliasing(true);
            main = found.readModel(in);
        } catch (IOException e) {
            throw BackendException.enginesWords("Failed to load model because protobuf parsing failed.", e);
        }
        for (List<Node> nodes : List.of(found.inFunctions, found.nested)) {
            for (Node node : nodes) {
                if (node.isIndexing() || node.checked() && attributes(node) >= 0) {
                    throw new BackendException("the model calls " + node.label() + " inside a "
                            + (nodes == found.nested ? "subgraph" : "function") + ", where Inferis cannot follow "
                            + "its input" + (node.isIndexing() ? "'s indices" : "'s width") + ", which ONNX Runtime "
                            + "trusts");
                }
            }
        }
        Map<String, Node> producers = new HashMap<>();
        for (Node node : main.nodes()) {
            node.outputs().forEach(output -> producers.put(output, node));
        }
        Map<String, InputWidth> widths = new HashMap<>();
        Set<String> nonNegative = new HashSet<>();
        for (Node node : main.nodes()) {
            if (node.isIndexing()) {
                indices(node, producers, main).ifPresent(nonNegative::add);
            }
            if (!node.checked()) {
                continue;
            }
            long width = attributes(node);
            if (width < 0) {
                continue; // the kernel checks its input's width itself
            }
            String source = source(node, producers, main);
            InputWidth earlier = widths.putIfAbsent(source, new InputWidth(source, width, node.label()));
            if (earlier != null && earlier.width() != width) {
                throw new BackendException("the model's " + earlier.reader() + " reads " + earlier.width()
                        + " features of input '" + source + "' and its " + node.label() + " " + width);
            }
        }
        return new RunChecks(List.copyOf(widths.values()), Set.copyOf(nonNegative));
    }

    /**
     * ArrayFeatureExtractor refuses indices past its input's last dimension but reads negative ones from before it
     * (the server's memory, into the output). Its indices pass when they are constants (an initializer or a Constant
     * node) none of which is negative, or an ArgMax or ArgMin; from a model input, every run's are checked: the
     * input returned. Anything else is refused.
     */
    private static java.util.Optional<String> indices(Node node, Map<String, Node> producers, Graph graph)
            throws BackendException {
        String name = node.inputs().size() > 1 ? node.inputs().get(1) : "";
        Node producer = producers.get(name);
        Set<String> seen = new HashSet<>();
        while (producer != null && producer.domain().isEmpty() && producer.opType().equals("Identity")
                && !producer.inputs().isEmpty() && seen.add(name)) {
            name = producer.inputs().get(0);
            producer = producers.get(name);
        }
        long least;
        if (producer == null && graph.initializers().containsKey(name)) {
            least = graph.initializers().get(name);
        } else if (producer == null && graph.inputs().contains(name)) {
            return java.util.Optional.of(name);
        } else if (producer != null && producer.domain().isEmpty() && POSITIONS.contains(producer.opType())) {
            return java.util.Optional.empty();
        } else if (producer != null && producer.domain().isEmpty() && producer.opType().equals("Constant")) {
            least = Long.MAX_VALUE;
            for (Attribute value : producer.attributes().values()) {
                least = Math.min(least, Math.min(value.min(), value.length() == 0 ? value.integer() : Long.MAX_VALUE));
            }
        } else {
            throw new BackendException("the model's " + node.label() + " takes its indices from "
                    + (producer == null ? "'" + name + "'" : "a " + producer.opType()) + ": ONNX Runtime reads "
                    + "negative ones from before its input, so Inferis takes them only from a constant, an ArgMax or "
                    + "ArgMin, or a model input (checked on every run)");
        }
        require(node, least >= 0, "has a negative index (" + least + ")");
        // an initializer that is also a graph input is a default a run might replace
        return graph.inputs().contains(name) ? java.util.Optional.of(name) : java.util.Optional.empty();
    }

    /** The model input a node's first input comes from, through operators that keep its shape. */
    private static String source(Node node, Map<String, Node> producers, Graph graph) throws BackendException {
        if (node.inputs().isEmpty()) {
            throw new BackendException("the model's " + node.label() + " has no input");
        }
        String name = node.inputs().get(0);
        Set<String> seen = new HashSet<>();
        Node producer = producers.get(name);
        while (producer != null && producer.keepsShape() && seen.add(name)) {
            name = producer.inputs().get(0);
            producer = producers.get(name);
        }
        if (producer == null && graph.inputs().contains(name) && !graph.initializers().containsKey(name)) {
            return name;
        }
        throw new BackendException("the model's " + node.label() + " reads as many features as its input has, "
                + "which ONNX Runtime does not check: Inferis checks them on every run when that input is a model "
                + "input, directly or through " + String.join(", ", SHAPE_KEEPING) + " or " + ML + "'s "
                + String.join(", ", SHAPE_KEEPING_ML)
                + "; here it comes from " + (producer == null ? "'" + name + "'" : "a " + producer.opType()));
    }

    /**
     * Refuses attributes the kernel would read past; returns the input width the kernel reads without checking it,
     * or -1 where it checks.
     */
    private static long attributes(Node node) throws BackendException {
        for (Attribute attribute : node.attributes().values()) {
            if (attribute.referenced()) {
                throw refused(node, "takes an attribute from a function's caller");
            }
        }
        return switch (node.opType()) {
            case "LinearRegressor" -> linearRegressor(node);
            case "LinearClassifier" -> linearClassifier(node);
            case "SVMRegressor" -> svmRegressor(node);
            case "SVMClassifier" -> svmClassifier(node);
            case "TreeEnsemble" -> throw new BackendException("the model's " + node.label() + " (ai.onnx.ml opset 5) "
                    + "is refused: ONNX Runtime converts its node and leaf indices to the older form without checking them (an index past the nodes killed "
                    + "the process as the model loaded); export the forest as TreeEnsembleRegressor or "
                    + "TreeEnsembleClassifier (ai.onnx.ml opset 3)");
            default -> trees(node);
        };
    }

    /**
     * ONNX Runtime checks a forest's greatest feature index against its input's width, as a 32-bit integer: an index
     * of 2^31 or more wrapped to a negative one and crashed the process, and negative ones read before the input.
     */
    private static long trees(Node node) throws BackendException {
        Attribute features = node.attributes().get("nodes_featureids");
        if (features != null && features.length() > 0) {
            long worst = features.min() < 0 ? features.min() : features.max();
            require(node, worst >= 0 && worst <= Integer.MAX_VALUE, "has a feature index of " + worst + " (0 to "
                    + Integer.MAX_VALUE + ")");
        }
        return -1;
    }

    private static long linearRegressor(Node node) throws BackendException {
        long targets = node.integer("targets", 1);
        int coefficients = node.length("coefficients");
        require(node, targets >= 1 && coefficients > 0 && coefficients % targets == 0, "has " + coefficients
                + " coefficients for " + targets + " targets: it needs a whole number of features a target");
        return coefficients / targets;
    }

    private static long linearClassifier(Node node) throws BackendException {
        int classes = node.length("intercepts"); // ONNX Runtime counts the classes by the intercepts
        int coefficients = node.length("coefficients");
        require(node, classes > 0 && coefficients > 0 && coefficients % classes == 0, "has " + coefficients
                + " coefficients and " + classes + " intercepts: ONNX Runtime counts a class an intercept, and needs a "
                + "whole number of coefficients a class");
        int labels = labels(node);
        require(node, classes == 1 || labels >= classes, "has " + labels + " class labels for " + classes
                + " classes");
        return coefficients / classes;
    }

    private static long svmRegressor(Node node) throws BackendException {
        kernelParameters(node);
        long supports = node.integer("n_supports", 0);
        require(node, node.length("rho") > 0, "has no rho");
        require(node, supports <= 0 || node.length("coefficients") >= supports, "has "
                + node.length("coefficients") + " coefficients for " + supports + " support vectors");
        return -1;
    }

    private static long svmClassifier(Node node) throws BackendException {
        kernelParameters(node);
        long classes = labels(node);
        require(node, classes > 0 && classes <= MAX_CLASSES, "has " + classes + " class labels (1 to "
                + MAX_CLASSES + ")");
        Attribute perClass = node.attributes().get("vectors_per_class");
        long vectors = 0;
        if (perClass != null && perClass.length() > 0) {
            require(node, perClass.min() >= 0, "has " + perClass.min() + " vectors for a class");
            vectors = perClass.sum();
            require(node, vectors <= node.length("support_vectors"), "has more vectors than support_vectors: a "
                    + "vector needs a feature or more");
        }
        int coefficients = node.length("coefficients");
        int rho = node.length("rho");
        if (vectors == 0) { // linear: a row of coefficients a class
            require(node, coefficients > 0 && rho > 0, "needs coefficients and rho");
            return coefficients / classes;
        }
        long pairs = classes * (classes - 1) / 2; // a classifier for each pair of classes
        int probabilities = node.length("prob_a");
        require(node, classes >= 2, "has " + classes + " class: support vectors need 2 classes or more");
        require(node, perClass.length() == classes, "has " + perClass.length()
                + " counts of vectors for " + classes + " classes");
        require(node, coefficients >= (classes - 1) * vectors, "has " + coefficients + " coefficients for "
                + vectors + " vectors and " + classes + " classes: a vector needs one for each class but one");
        require(node, rho >= pairs, "has " + rho + " rho for " + pairs + " pairs of classes");
        require(node, probabilities == node.length("prob_b") && (probabilities == 0 || probabilities >= pairs),
                "has " + probabilities + " prob_a and " + node.length("prob_b") + " prob_b for " + pairs
                        + " pairs of classes");
        return node.length("support_vectors") / vectors;
    }

    /** ONNX Runtime reads three kernel parameters when there are any. */
    private static void kernelParameters(Node node) throws BackendException {
        int parameters = node.length("kernel_params");
        require(node, parameters == 0 || parameters >= 3, "has " + parameters
                + " kernel_params: gamma, coef0 and degree, or none");
    }

    /** How many class labels: of the strings when there are any (as ONNX Runtime chooses), else of the integers. */
    private static int labels(Node node) {
        int strings = node.length("classlabels_strings");
        return strings > 0 ? strings : node.length("classlabels_ints");
    }

    private static void require(Node node, boolean holds, String otherwise) throws BackendException {
        if (!holds) {
            throw refused(node, otherwise);
        }
    }

    private static BackendException refused(Node node, String why) {
        return new BackendException("the model's " + node.label() + " " + why + "; ONNX Runtime does not check it "
                + "and would read out of bounds, so Inferis refuses the model");
    }

    // onnx.proto's field numbers, for the messages read here
    private Graph readModel(CodedInputStream in) throws IOException {
        Graph main = new Graph(List.of(), Set.of(), Map.of());
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 7 && delimited(tag)) { // graph
                main = inner(in, () -> readGraph(in, false));
            } else if (field == 25 && delimited(tag)) { // functions
                inner(in, () -> readNodes(in, 7, inFunctions));
            } else {
                in.skipField(tag);
            }
        }
        return main;
    }

    private Graph readGraph(CodedInputStream in, boolean subgraph) throws IOException {
        List<Node> nodes = new ArrayList<>();
        Set<String> inputs = new HashSet<>();
        Map<String, Long> initializers = new HashMap<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && delimited(tag)) { // node
                nodes.add(inner(in, () -> readNode(in)));
            } else if (field == 5 && delimited(tag)) { // initializer
                Integers values = new Integers();
                String initializer = inner(in, () -> readTensor(in, values));
                initializers.put(initializer, values.min);
            } else if (field == 11 && delimited(tag)) { // input: a ValueInfoProto, its name is field 1
                inputs.add(inner(in, () -> readName(in, 1)));
            } else {
                in.skipField(tag);
            }
        }
        if (subgraph) {
            nested.addAll(nodes);
        }
        return new Graph(nodes, inputs, initializers);
    }

    private Void readNodes(CodedInputStream in, int nodeField, List<Node> into) throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == nodeField && delimited(tag)) {
                into.add(inner(in, () -> readNode(in)));
            } else {
                in.skipField(tag);
            }
        }
        return null;
    }

    private Node readNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        Map<String, Attribute> attributes = new HashMap<>();
        String opType = "";
        String domain = "";
        String name = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (!delimited(tag)) {
                in.skipField(tag);
                continue;
            }
            switch (field) {
                case 1 -> inputs.add(in.readStringRequireUtf8());
                case 2 -> outputs.add(in.readStringRequireUtf8());
                case 3 -> name = in.readStringRequireUtf8();
                case 4 -> opType = in.readStringRequireUtf8();
                case 7 -> domain = in.readStringRequireUtf8();
                case 5 -> {
                    Map.Entry<String, Attribute> attribute = inner(in, () -> readAttribute(in));
                    attributes.put(attribute.getKey(), attribute.getValue());
                }
                default -> in.skipField(tag);
            }
        }
        return new Node(opType, domain.equals("ai.onnx") ? "" : domain, name, inputs, outputs, attributes);
    }

    private Map.Entry<String, Attribute> readAttribute(CodedInputStream in) throws IOException {
        String name = "";
        long integer = 0;
        int length = 0;
        Integers integers = new Integers();
        boolean referenced = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            boolean delimited = delimited(tag);
            if (field == 1 && delimited) {
                name = in.readStringRequireUtf8();
            } else if (field == 3 && varint(tag)) { // i
                integer = in.readInt64();
            } else if (field == 5 && delimited) { // t: its INT64 values count as the attribute's integers
                inner(in, () -> readTensor(in, integers));
            } else if ((field == 6 || field == 11) && delimited) { // g, graphs
                inner(in, () -> readGraph(in, true));
            } else if (field == 7 && delimited) { // floats, packed
                int bytes = in.readRawVarint32();
                length += bytes / Float.BYTES;
                in.skipRawBytes(bytes);
            } else if (field == 8 && (delimited || varint(tag))) { // ints
                readInt64s(in, tag, integers);
            } else if (field == 21 && delimited) { // ref_attr_name
                referenced |= !in.readStringRequireUtf8().isEmpty();
            } else {
                length += field == 7 || field == 9 ? 1 : 0; // a float or a string, one a field
                in.skipField(tag);
            }
        }
        return Map.entry(name, new Attribute(integer, length + integers.length, integers.min, integers.max,
                integers.sum, referenced));
    }

    /** Reads a TensorProto's name, adding its values to {@code values} when it is an INT64 tensor. */
    private static String readTensor(CodedInputStream in, Integers values) throws IOException {
        String name = "";
        Integers int64s = new Integers();
        com.google.protobuf.ByteString raw = com.google.protobuf.ByteString.EMPTY;
        long type = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 2 && varint(tag)) {
                type = in.readInt64();
            } else if (field == 7 && (delimited(tag) || varint(tag))) { // int64_data
                readInt64s(in, tag, int64s);
            } else if (field == 8 && delimited(tag)) {
                name = in.readStringRequireUtf8();
            } else if (field == 9 && delimited(tag)) {
                raw = in.readBytes(); // a view of the model's bytes, not a copy (aliasing is on)
            } else {
                in.skipField(tag);
            }
        }
        if (type == INT64) {
            java.nio.LongBuffer longs = raw.asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .asLongBuffer();
            while (longs.hasRemaining()) {
                values.add(longs.get());
            }
            if (int64s.length > 0) {
                values.add(int64s.min);
            }
        }
        return name;
    }

    private static String readName(CodedInputStream in, int nameField) throws IOException {
        String name = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == nameField && delimited(tag)) {
                name = in.readStringRequireUtf8();
            } else {
                in.skipField(tag);
            }
        }
        return name;
    }

    private interface Reading<T> {
        T read() throws IOException;
    }

    /** Reads a length-delimited message with {@code reading}, within its length. */
    private static <T> T inner(CodedInputStream in, Reading<T> reading) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        T value = reading.read();
        in.checkLastTagWas(0);
        in.popLimit(limit);
        return value;
    }

    /** Reads a repeated int64 field into {@code values}: packed, or one value a field. */
    private static void readInt64s(CodedInputStream in, int tag, Integers values) throws IOException {
        if (varint(tag)) {
            values.add(in.readInt64());
            return;
        }
        int limit = in.pushLimit(in.readRawVarint32());
        while (in.getBytesUntilLimit() > 0) {
            values.add(in.readInt64());
        }
        in.popLimit(limit);
    }

    private static boolean varint(int tag) {
        return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT;
    }

    private static boolean delimited(int tag) {
        return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
    }
}
