package org.inferis.backend.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.backend.onnx.OnnxGraph.Attribute;
import org.inferis.backend.onnx.OnnxGraph.Graph;
import org.inferis.backend.onnx.OnnxGraph.Node;
import org.inferis.backend.onnx.RunChecks.InputWidth;

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

    private MlOperators() {
    }

    private static boolean checked(Node node) {
        return ML.equals(node.domain()) && CHECKED.contains(node.opType());
    }

    private static boolean isIndexing(Node node) {
        return ML.equals(node.domain()) && node.opType().equals("ArrayFeatureExtractor");
    }

    private static boolean keepsShape(Node node) {
        return (node.domain().isEmpty() ? SHAPE_KEEPING : ML.equals(node.domain()) ? SHAPE_KEEPING_ML : List.of())
                .contains(node.opType()) && !node.inputs().isEmpty();
    }

    /** Refuses the model when a checked operator's attributes disagree; returns what its runs must hold. */
    static RunChecks check(OnnxGraph model) throws BackendException {
        List<Node> nested = new ArrayList<>();
        model.subgraphs().forEach(graph -> nested.addAll(graph.nodes()));
        List<Node> inFunctions = new ArrayList<>();
        model.functions().forEach(function -> inFunctions.addAll(function.nodes()));
        for (List<Node> nodes : List.of(inFunctions, nested)) {
            for (Node node : nodes) {
                if (isIndexing(node) || checked(node) && attributes(node) >= 0) {
                    throw new BackendException("the model calls " + node.label() + " inside a "
                            + (nodes == nested ? "subgraph" : "function") + ", where Inferis cannot follow "
                            + "its input" + (isIndexing(node) ? "'s indices" : "'s width") + ", which ONNX Runtime "
                            + "trusts");
                }
            }
        }
        Graph main = model.main();
        Map<String, Node> producers = main.producers();
        Map<String, InputWidth> widths = new HashMap<>();
        Set<String> nonNegative = new HashSet<>();
        for (Node node : main.nodes()) {
            if (isIndexing(node)) {
                indices(node, producers, main).ifPresent(nonNegative::add);
            }
            if (!checked(node)) {
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
        return new RunChecks(List.copyOf(widths.values()), Set.copyOf(nonNegative), Set.of(), Set.of());
    }

    /**
     * ArrayFeatureExtractor refuses indices past its input's last dimension but reads negative ones from before it
     * (the server's memory, into the output). Its indices pass when they are constants (an initializer or a Constant
     * node) none of which is negative, or an ArgMax or ArgMin; from a model input, every run's are checked: the
     * input returned. Anything else is refused.
     */
    private static java.util.Optional<String> indices(Node node, Map<String, Node> producers, Graph graph)
            throws BackendException {
        OnnxGraph.Source source = OnnxGraph.trace(node.input(1), producers, producer -> producer.isOnnx("Identity"));
        String name = source.name();
        Node producer = source.producer();
        long least;
        if (producer == null && graph.initializers().containsKey(name)) {
            least = graph.initializers().get(name).values().min;
        } else if (producer == null && graph.inputs().containsKey(name)) {
            return java.util.Optional.of(name);
        } else if (producer != null && producer.domain().isEmpty() && POSITIONS.contains(producer.opType())) {
            return java.util.Optional.empty();
        } else if (producer != null && producer.isOnnx("Constant")) {
            least = Long.MAX_VALUE;
            for (Attribute value : producer.attributes().values()) {
                least = Math.min(least, value.tensor() != null ? value.tensor().values().min
                        : value.length() > 0 ? value.integers().min : value.integer());
            }
        } else {
            throw new BackendException("the model's " + node.label() + " takes its indices from "
                    + (producer == null ? "'" + name + "'" : "a " + producer.opType()) + ": ONNX Runtime reads "
                    + "negative ones from before its input, so Inferis takes them only from a constant, an ArgMax or "
                    + "ArgMin, or a model input (checked on every run)");
        }
        require(node, least >= 0, "has a negative index (" + least + ")");
        // an initializer that is also a graph input is a default a run might replace
        return graph.inputs().containsKey(name) ? java.util.Optional.of(name) : java.util.Optional.empty();
    }

    /** The model input a node's first input comes from, through operators that keep its shape. */
    private static String source(Node node, Map<String, Node> producers, Graph graph) throws BackendException {
        if (node.inputs().isEmpty()) {
            throw new BackendException("the model's " + node.label() + " has no input");
        }
        OnnxGraph.Source source = OnnxGraph.trace(node.input(0), producers, MlOperators::keepsShape);
        String name = source.name();
        Node producer = source.producer();
        if (producer == null && graph.inputs().containsKey(name) && !graph.initializers().containsKey(name)) {
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
                    + "is refused: ONNX Runtime converts its node and leaf indices to the older form without checking "
                    + "them (an index past the nodes killed the process as the model loaded); export the forest as "
                    + "TreeEnsembleRegressor or TreeEnsembleClassifier (ai.onnx.ml opset 3)");
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
            long worst = features.integers().min < 0 ? features.integers().min : features.integers().max;
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
            require(node, perClass.integers().min >= 0, "has " + perClass.integers().min + " vectors for a class");
            vectors = perClass.integers().sum;
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
}
