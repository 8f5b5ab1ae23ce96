package org.inferis.backend.onnx;

import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.inferis.backend.BackendException;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/**
 * What every run of a model must hold, for operators ONNX Runtime runs without checking their input: inputs of a
 * width, inputs of indices none of which is negative, and integer divisors none of which is 0 or -1.
 *
 * @param widths the widths of inputs that operators read as many features of as they were made for
 * @param nonNegative inputs of indices (ArrayFeatureExtractor)
 * @param nonZero inputs that are an integer division's divisor (Div, Mod)
 * @param offsets inputs that are a Trilu's k, within ±2^62 ({@link TriluOffsets})
 */
record RunChecks(List<InputWidth> widths, Set<String> nonNegative, Set<String> nonZero, Set<String> offsets) {
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
        return new RunChecks(widths, nonNegative, Set.copyOf(divisors), offsets);
    }

    RunChecks withOffsets(Set<String> ks) {
        return new RunChecks(widths, nonNegative, nonZero, Set.copyOf(ks));
    }

    /**
     * These checks by the positions of a session's inputs. An input that ONNX Runtime does not take (an initializer
     * it lets no run replace) needs no check of its values; one whose width is read must be taken.
     */
    Bound bind(List<String> inputNames) {
        return new Bound(this, inputNames);
    }

    /** The checks of one session's runs. */
    static final class Bound {
        private static final Set<DType> INTEGERS =
                EnumSet.of(DType.INT8, DType.UINT8, DType.INT16, DType.UINT16, DType.INT32, DType.INT64);

        private final List<String> inputNames;
        private final InputWidth[] widths;
        private final boolean[] indices;
        private final boolean[] divisors;
        private final boolean[] offsets;
        private final boolean none;

        private Bound(RunChecks checks, List<String> inputNames) {
            this.inputNames = inputNames;
            this.widths = new InputWidth[inputNames.size()];
            this.indices = new boolean[inputNames.size()];
            this.divisors = new boolean[inputNames.size()];
            this.offsets = new boolean[inputNames.size()];
            for (InputWidth width : checks.widths()) {
                int input = inputNames.indexOf(width.input());
                if (input < 0) {
                    throw new IllegalArgumentException("the model's " + width.reader() + " reads '" + width.input()
                            + "', which ONNX Runtime does not take as an input");
                }
                widths[input] = width;
            }
            mark(checks.nonNegative(), indices);
            mark(checks.nonZero(), divisors);
            mark(checks.offsets(), offsets);
            this.none = checks.widths().isEmpty() && checks.nonNegative().isEmpty() && checks.nonZero().isEmpty()
                    && checks.offsets().isEmpty();
        }

        private void mark(Set<String> names, boolean[] inputs) {
            for (String name : names) {
                int input = inputNames.indexOf(name);
                if (input >= 0) {
                    inputs[input] = true;
                }
            }
        }

        /** Refuses a run whose inputs an operator would read out of bounds or divide by zero. */
        void check(List<Tensor> inputs) throws BackendException {
            for (int i = 0; !none && i < widths.length && i < inputs.size(); i++) {
                Tensor input = inputs.get(i);
                if (widths[i] != null && InputWidth.of(input.shape()) != widths[i].width()) {
                    throw new BackendException("input " + inputNames.get(i) + " has " + InputWidth.of(input.shape())
                            + " features where the model's " + widths[i].reader() + " takes " + widths[i].width());
                }
                if (indices[i] && input.dtype() == DType.INT64 && anyNegative(input.data().asLongBuffer())) {
                    throw new BackendException("input " + inputNames.get(i) + " holds a negative index, which the "
                            + "model's ArrayFeatureExtractor would read from before its input");
                }
                if (offsets[i] && input.dtype() == DType.INT64 && anyBeyond(input.data().asLongBuffer())) {
                    throw new BackendException("input " + inputNames.get(i) + " holds a value beyond ±2^62, which "
                            + "the model's Trilu takes as its k: ONNX Runtime does not check k for overflow, and a k "
                            + "near ±2^63 killed the process");
                }
                if (divisors[i] && trapsAsDivisor(input)) {
                    throw new BackendException("input " + inputNames.get(i) + " holds a 0 or -1, which the model "
                            + "divides integers by: ONNX Runtime does not check integer divisors, and a 0 (or -1 under "
                            + "the least integer) kills the process");
                }
            }
        }

        private static boolean anyBeyond(LongBuffer values) {
            while (values.hasRemaining()) {
                long value = values.get();
                if (value < -TriluOffsets.LIMIT || value > TriluOffsets.LIMIT) {
                    return true;
                }
            }
            return false;
        }

        private static boolean anyNegative(LongBuffer values) {
            while (values.hasRemaining()) {
                if (values.get() < 0) {
                    return true;
                }
            }
            return false;
        }

        /** Whether an integer tensor holds a 0, or (signed) a -1; other types ONNX Runtime refuses to divide. */
        private static boolean trapsAsDivisor(Tensor tensor) {
            DType dtype = tensor.dtype();
            if (!INTEGERS.contains(dtype)) {
                return false;
            }
            boolean signed = dtype != DType.UINT8 && dtype != DType.UINT16;
            ByteBuffer data = tensor.data();
            while (data.hasRemaining()) {
                long value = switch (dtype) {
                    case INT8, UINT8 -> data.get();
                    case INT16, UINT16 -> data.getShort();
                    case INT32 -> data.getInt();
                    default -> data.getLong();
                };
                if (value == 0 || signed && value == -1) {
                    return true;
                }
            }
            return false;
        }
    }
}
