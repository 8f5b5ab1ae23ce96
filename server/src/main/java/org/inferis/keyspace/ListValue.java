package org.inferis.keyspace;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** A Redis list; mutated in place under the keyspace lock. Empty lists are removed from the keyspace. */
public final class ListValue implements Value {
    private final ArrayDeque<byte[]> elements = new ArrayDeque<>();
    private long byteSize;

    @Override
    public ValueType type() {
        return ValueType.LIST;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    /** An independent list with the same elements (the element arrays, never modified, are shared). */
    public ListValue copy() {
        ListValue copy = new ListValue();
        copy.elements.addAll(elements);
        copy.byteSize = byteSize;
        return copy;
    }

    /** The elements, first to last. */
    public Iterable<byte[]> elements() {
        return elements;
    }

    public int size() {
        return elements.size();
    }

    public boolean isEmpty() {
        return elements.isEmpty();
    }

    public void push(byte[] element, boolean left) {
        if (left) {
            elements.addFirst(element);
        } else {
            elements.addLast(element);
        }
        byteSize += element.length;
    }

    /** The removed element, or null when empty. */
    public byte[] pop(boolean left) {
        byte[] element = left ? elements.pollFirst() : elements.pollLast();
        if (element != null) {
            byteSize -= element.length;
        }
        return element;
    }

    /** Elements {@code start..stop} inclusive, with Redis's negative-index and clamping rules. */
    public List<byte[]> range(long start, long stop) {
        int size = elements.size();
        if (start < 0) {
            start = Math.max(0, size + start);
        }
        if (stop < 0) {
            stop = size + stop;
        }
        stop = Math.min(stop, size - 1);
        List<byte[]> result = new ArrayList<>();
        if (start > stop) {
            return result;
        }
        int index = 0;
        for (byte[] element : elements) {
            if (index > stop) {
                break;
            }
            if (index >= start) {
                result.add(element);
            }
            index++;
        }
        return result;
    }
}
