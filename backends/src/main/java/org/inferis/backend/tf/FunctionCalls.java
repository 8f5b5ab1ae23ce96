package org.inferis.backend.tf;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;

/**
 * Checks a graph's function library before TensorFlow sees it: TF imports a function that calls itself, directly
 * or through others, by recursing until the process's stack overflows, so cycles and very deep call chains are
 * refused here. A function is called by a node whose op is its name or by a function-valued attribute (While's
 * body, If's branches, PartitionedCall's f).
 */
final class FunctionCalls {
    /** Deeper nesting than any real model has: TF's own import recursion stays far from the stack's end. */
    static final int MAX_DEPTH = 64;

    private final Map<String, Set<String>> callees = new HashMap<>();
    private final Map<String, Integer> depths = new HashMap<>();
    private final Set<String> onPath = new HashSet<>();

    private FunctionCalls(GraphDef graph) {
        for (FunctionDef function : graph.getLibrary().getFunctionList()) {
            callees.put(function.getSignature().getName(), new HashSet<>());
        }
        for (FunctionDef function : graph.getLibrary().getFunctionList()) {
            collect(function.getNodeDefList(), callees.get(function.getSignature().getName()));
        }
    }

    static void check(GraphDef graph) throws BackendException {
        if (graph.getLibrary().getFunctionCount() == 0) {
            return;
        }
        FunctionCalls calls = new FunctionCalls(graph);
        Set<String> called = new HashSet<>();
        calls.collect(graph.getNodeList(), called);
        for (String function : calls.callees.keySet()) { // uncalled ones too: TF instantiates the whole library
            calls.depth(function, 1);
        }
    }

    private int depth(String function, int level) throws BackendException {
        Integer known = depths.get(function);
        if (known != null) {
            return known;
        }
        if (!onPath.add(function)) {
            throw new BackendException("the graph's function '" + function + "' calls itself (directly or through "
                    + "other functions), which TensorFlow cannot import");
        }
        if (level > MAX_DEPTH) {
            throw new BackendException("the graph's functions call each other more than " + MAX_DEPTH + " deep");
        }
        int deepest = 0;
        for (String callee : callees.get(function)) {
            deepest = Math.max(deepest, depth(callee, level + 1));
        }
        onPath.remove(function);
        depths.put(function, deepest + 1);
        return deepest + 1;
    }

    private void collect(List<NodeDef> nodes, Set<String> into) {
        for (NodeDef node : nodes) {
            if (callees.containsKey(node.getOp())) {
                into.add(node.getOp());
            }
            node.getAttrMap().values().forEach(value -> collect(value, into));
        }
    }

    private void collect(AttrValue value, Set<String> into) {
        if (value.hasFunc()) {
            collect(value.getFunc(), into);
        }
        value.getList().getFuncList().forEach(function -> collect(function, into));
    }

    private void collect(NameAttrList function, Set<String> into) {
        if (callees.containsKey(function.getName())) {
            into.add(function.getName());
        }
        function.getAttrMap().values().forEach(value -> collect(value, into));
    }
}
