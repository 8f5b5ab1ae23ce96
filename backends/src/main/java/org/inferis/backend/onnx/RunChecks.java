package org.inferis.backend.onnx;

import java.util.List;
import java.util.Set;

/**
 * What every run of a model must hold, for operators ONNX Runtime runs without checking their input: inputs of a
 * width, inputs of indices none of which is negative, and integer divisors none of which is 0 or -1.
 *
 * @param widths the widths of inputs that operators read as many features of as they were made for
 * @param nonNegative inputs of indices (ArrayFeatureExtractor)
 * @param nonZero inputs that are an integer division's divisor (Div, Mod)
 */
record RunChecks(List<InputWidth> widths, Set<String> nonNegative, Set<String> nonZero) {
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

    RunChecks withNonZero(Set<String> divisors) {
        return new RunChecks(widths, nonNegative, Set.copyOf(divisors));
    }
}
