package org.inferis.backend.torch;

import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.inferis.backend.BackendException;
import org.inferis.backend.LoadedScript;
import org.inferis.tensor.DType;
import org.inferis.tensor.Tensor;

/** A compiled script. Each call's native tensors and IValues are freed before it returns. */
final class TorchScript implements LoadedScript {
    /** Prepended to every list passed to an execute-style function, which drops it (DJL cannot pass empty lists). */
    private static final Tensor PLACEHOLDER = new Tensor(DType.FLOAT, new long[] {1},
            ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN));

    private final PtNDManager manager;
    private final PtSymbolBlock block;
    private final Map<String, ScriptSource.Function> functions;
    private final TorchInputs inputs;

    TorchScript(PtNDManager manager, PtSymbolBlock block, Map<String, ScriptSource.Function> functions) {
        this.manager = manager;
        this.block = block;
        this.functions = functions;
        this.inputs = new TorchInputs(manager, true); // a script's functions are top-level: nothing outlives a call
    }

    @Override
    public java.util.Set<String> functionNames() {
        return functions.keySet();
    }

    @Override
    public List<Tensor> execute(String fn, List<Tensor> tensors, List<String> keys, List<String> args)
            throws BackendException {
        ScriptSource.Function function = function(fn);
        if (!function.takesExecuteLists()) {
            // a function of a script stored with the deprecated AI.SCRIPTSET: RedisAI's documented best effort is
            // to pass the input tensors as its arguments, in order
            return call(fn, tensors, null);
        }
        List<Tensor> withPlaceholder = new ArrayList<>(tensors.size() + 1);
        withPlaceholder.add(PLACEHOLDER);
        withPlaceholder.addAll(tensors);
        try (PtNDManager callManager = (PtNDManager) manager.newSubManager()) {
            List<PtNDArray> arrays = inputs.in(callManager, withPlaceholder);
            List<IValue> owned = new ArrayList<>();
            try {
                IValue tensorList = own(owned, IValue.listFrom(arrays.toArray(new PtNDArray[0])));
                IValue keyList = own(owned, stringList(owned, keys));
                IValue argList = own(owned, stringList(owned, args));
                return results(callManager, owned, own(owned, IValueUtils.runMethod(block, fn, tensorList, keyList, argList)));
            } finally {
                owned.forEach(IValue::close);
            }
        } catch (RuntimeException e) {
            throw new BackendException(BackendException.firstLine(e), e);
        }
    }

    @Override
    public List<Tensor> call(String fn, List<Tensor> positional, List<Tensor> variadic) throws BackendException {
        function(fn);
        List<Tensor> all = new ArrayList<>(positional);
        if (variadic != null) {
            all.addAll(variadic);
        }
        try (PtNDManager callManager = (PtNDManager) manager.newSubManager()) {
            List<PtNDArray> arrays = inputs.in(callManager, all);
            List<IValue> owned = new ArrayList<>();
            try {
                List<IValue> arguments = new ArrayList<>();
                for (int i = 0; i < positional.size(); i++) {
                    arguments.add(own(owned, IValue.from(arrays.get(i))));
                }
                if (variadic != null) {
                    List<PtNDArray> rest = arrays.subList(positional.size(), arrays.size());
                    arguments.add(own(owned, IValue.listFrom(rest.toArray(new PtNDArray[0]))));
                }
                return results(callManager, owned,
                        own(owned, IValueUtils.runMethod(block, fn, arguments.toArray(new IValue[0]))));
            } finally {
                owned.forEach(IValue::close);
            }
        } catch (RuntimeException e) {
            throw new BackendException(BackendException.firstLine(e), e);
        }
    }

    private ScriptSource.Function function(String fn) throws BackendException {
        ScriptSource.Function function = functions.get(fn);
        if (function == null) {
            throw new BackendException("Function does not exist: " + fn);
        }
        return function;
    }

    private static IValue own(List<IValue> owned, IValue value) {
        owned.add(value);
        return value;
    }

    /** A List[str] of the strings after a placeholder "", so that even no strings make a non-empty list. */
    private static IValue stringList(List<IValue> owned, List<String> strings) {
        IValue[] values = new IValue[strings.size() + 1];
        values[0] = own(owned, IValue.from(""));
        for (int i = 0; i < strings.size(); i++) {
            values[i + 1] = own(owned, IValue.from(strings.get(i)));
        }
        return IValue.listFrom(values);
    }

    /** The tensors a function returned: one, a list, or a tuple of tensors. */
    private static List<Tensor> results(PtNDManager manager, List<IValue> owned, IValue result) throws BackendException {
        List<Tensor> tensors = new ArrayList<>();
        if (result.isTensor()) {
            tensors.add(TorchTensors.out(result.toTensor(manager)));
        } else if (result.isTensorList()) {
            for (PtNDArray array : result.toTensorArray(manager)) {
                tensors.add(TorchTensors.out(array));
            }
        } else if (result.isTuple() || result.isList()) {
            for (IValue element : result.isTuple() ? result.toIValueTuple() : result.toIValueArray()) {
                own(owned, element);
                if (!element.isTensor()) {
                    throw new BackendException("the script returned a value that is not a tensor");
                }
                tensors.add(TorchTensors.out(element.toTensor(manager)));
            }
        } else {
            throw new BackendException("the script returned a value that is not a tensor");
        }
        return tensors;
    }

    @Override
    public void close() {
        block.close();
        inputs.close();
        manager.close();
    }
}
